/* The agent's native bindings: what Node cannot do from JavaScript. */
#include <node_api.h>

#include "core-dumps.h"
#include "hop-limit.h"
#include "peer-credentials.h"
#include "pkcs11-sign.h"
#include "trim-memory.h"

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"peerCredentials", NULL, ra_peer_credentials, NULL, NULL, NULL, napi_enumerable, NULL},
      {"disableCoreDumps", NULL, ra_disable_core_dumps, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setHopLimit", NULL, ra_set_hop_limit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getHopLimit", NULL, ra_get_hop_limit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindPkcs11Module", NULL, ra_bind_pkcs11_module, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pkcs11Sign", NULL, ra_pkcs11_sign, NULL, NULL, NULL, napi_enumerable, NULL},
      {"trimMemory", NULL, ra_trim_memory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) {
    return NULL;
  }
  return exports;
}

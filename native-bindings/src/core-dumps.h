#ifndef RA_CORE_DUMPS_H
#define RA_CORE_DUMPS_H

#include <node_api.h>

/* disableCoreDumps() -> undefined: no core files, and (Linux) not dumpable/ptrace-able. */
napi_value ra_disable_core_dumps(napi_env env, napi_callback_info info);

#endif

#ifndef RA_PKCS11_SIGN_H
#define RA_PKCS11_SIGN_H

#include <node_api.h>

/*
 * bindPkcs11Module(path, threads): the function list of a PKCS#11 module this process has already
 * loaded (through pkcs11js), with up to `threads` signing threads of its own started on demand,
 * as an opaque external for pkcs11Sign. Never loads a module itself.
 */
napi_value ra_bind_pkcs11_module(napi_env env, napi_callback_info info);

/*
 * pkcs11Sign(module, session, mechanism, key, input, maxLength) -> Promise<Buffer>: C_SignInit
 * and C_Sign together on one of the module's signing threads (handles are pkcs11js Buffers). Rejects with an
 * Error named "Pkcs11Error" carrying `code` (the CK_RV) and `fn` (the call that failed).
 */
napi_value ra_pkcs11_sign(napi_env env, napi_callback_info info);

#endif

#ifndef RA_THROW_ERRNO_H
#define RA_THROW_ERRNO_H

#include <node_api.h>

/*
 * Throws a JS Error shaped like Node's own system errors:
 *   message "<what>: <strerror(err)>", code "<ENAME>", errno <err>, syscall "<syscall>".
 * Returns NULL so callers can `return ra_throw_errno(...)`.
 */
napi_value ra_throw_errno(napi_env env, int err, const char *syscall, const char *what);

/* Throws a TypeError with the given code and message. Returns NULL. */
napi_value ra_throw_type_error(napi_env env, const char *code, const char *message);

#endif

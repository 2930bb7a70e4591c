#define _GNU_SOURCE /* strerrorname_np (glibc >= 2.32) */
#include "throw-errno.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The symbolic name of an errno value ("EBADF"); glibc has it, elsewhere a few common ones. */
static const char *errno_name(int err, char *fallback, size_t size) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(err);
  if (name != NULL) return name;
#else
  switch (err) {
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case ENOTCONN: return "ENOTCONN";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    default: break;
  }
#endif
  snprintf(fallback, size, "ERRNO_%d", err);
  return fallback;
}

static void set_string(napi_env env, napi_value object, const char *key, const char *value) {
  napi_value js;
  if (napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &js) == napi_ok) {
    napi_set_named_property(env, object, key, js);
  }
}

napi_value ra_throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  char fallback[32];
  char message[512];
  const char *name = errno_name(err, fallback, sizeof fallback);
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));

  napi_value js_message, js_code, error, js_errno;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &js_message) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &js_code) != napi_ok ||
      napi_create_error(env, js_code, js_message, &error) != napi_ok) {
    napi_throw_error(env, name, message);
    return NULL;
  }
  if (napi_create_int32(env, err, &js_errno) == napi_ok) {
    napi_set_named_property(env, error, "errno", js_errno);
  }
  set_string(env, error, "syscall", syscall);
  napi_throw(env, error);
  return NULL;
}

napi_value ra_throw_type_error(napi_env env, const char *code, const char *message) {
  napi_throw_type_error(env, code, message);
  return NULL;
}

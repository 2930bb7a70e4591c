#define _GNU_SOURCE /* struct ucred */
#include "peer-credentials.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__APPLE__)
#include <sys/un.h> /* SOL_LOCAL, LOCAL_PEERPID */
#endif

#include "throw-errno.h"

typedef struct {
  long long pid;
  long long uid;
  long long gid;
} peer_t;

/*
 * The kernel records the peer's credentials at connect() time; they cannot be forged by the
 * peer (unlike anything it sends over the socket), which is why the agent authorizes on them.
 * Returns 0, or an errno value with *syscall naming the failed call.
 */
static int read_peer(int fd, peer_t *peer, const char **syscall) {
  /* Only Unix-domain sockets carry peer credentials; Linux answers SO_PEERCRED on a TCP socket
   * with uid/gid -1 instead of failing, which must never reach an authorization decision. */
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  *syscall = "getsockname";
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) return errno;
  if (local.ss_family != AF_UNIX) return EAFNOSUPPORT;
#if defined(__linux__)
  struct ucred cred;
  socklen_t len = sizeof cred;
  *syscall = "getsockopt";
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return errno;
  if (len != sizeof cred) return EINVAL;
  peer->pid = cred.pid;
  peer->uid = cred.uid;
  peer->gid = cred.gid;
  return 0;
#else
  uid_t uid;
  gid_t gid;
  *syscall = "getpeereid";
  if (getpeereid(fd, &uid, &gid) != 0) return errno;
  peer->uid = uid;
  peer->gid = gid;
  peer->pid = -1;
#if defined(__APPLE__) && defined(LOCAL_PEERPID)
  pid_t pid;
  socklen_t len = sizeof pid;
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0 && len == sizeof pid) peer->pid = pid;
#endif
  return 0;
#endif
}

static int set_number(napi_env env, napi_value object, const char *key, long long value) {
  napi_value js;
  if (napi_create_int64(env, (int64_t)value, &js) != napi_ok) return -1;
  return napi_set_named_property(env, object, key, js) == napi_ok ? 0 : -1;
}

napi_value ra_peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;

  napi_valuetype type = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "peerCredentials: fd must be a number");
  }
  double value = 0;
  napi_get_value_double(env, argv[0], &value);
  if (!(value >= 0 && value <= 2147483647.0) || value != (double)(int)value) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                               "peerCredentials: fd must be a non-negative integer");
  }
  int fd = (int)value;

  peer_t peer = {-1, -1, -1};
  const char *syscall = "getsockopt";
  int err = read_peer(fd, &peer, &syscall);
  if (err != 0) {
    char what[128];
    snprintf(what, sizeof what, "cannot read the peer credentials of socket fd %d%s", fd,
             err == EAFNOSUPPORT ? " (not a unix-domain socket)" : "");
    return ra_throw_errno(env, err, syscall, what);
  }

  napi_value result;
  if (napi_create_object(env, &result) != napi_ok) return NULL;
  if (set_number(env, result, "pid", peer.pid) != 0 || set_number(env, result, "uid", peer.uid) != 0 ||
      set_number(env, result, "gid", peer.gid) != 0) {
    return NULL;
  }
  return result;
}

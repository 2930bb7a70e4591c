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

#define MAX_GROUPS 1024

#if defined(__linux__) && !defined(SO_PEERGROUPS)
#define SO_PEERGROUPS 59 /* Linux 4.13; older libc headers lack the name */
#endif

typedef struct {
  long long pid;
  long long uid;
  long long gid;
  gid_t groups[MAX_GROUPS];
  int group_count; /* -1: the kernel cannot tell (before Linux 4.13, other systems) */
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
  /* The peer's supplementary groups, also recorded at connect(): who is in the socket's group
   * through a secondary membership (the usual case) is known without reading /proc (racy). */
  socklen_t groups_len = sizeof peer->groups;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer->groups, &groups_len) == 0) {
    peer->group_count = (int)(groups_len / sizeof(gid_t));
  } else if (errno == ENOPROTOOPT) {
    peer->group_count = -1;
  } else {
    *syscall = "getsockopt(SO_PEERGROUPS)";
    return errno; /* ERANGE: more than MAX_GROUPS groups; refuse rather than guess */
  }
  return 0;
#else
  uid_t uid;
  gid_t gid;
  *syscall = "getpeereid";
  if (getpeereid(fd, &uid, &gid) != 0) return errno;
  peer->uid = uid;
  peer->gid = gid;
  peer->pid = -1;
  peer->group_count = -1;
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

  peer_t peer; /* 4 KiB of group list: fine on the stack */
  peer.pid = peer.uid = peer.gid = -1;
  peer.group_count = -1;
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
  /* groups: the supplementary gids, or null where the kernel cannot tell. */
  napi_value groups;
  if (peer.group_count < 0) {
    if (napi_get_null(env, &groups) != napi_ok) return NULL;
  } else {
    if (napi_create_array_with_length(env, (size_t)peer.group_count, &groups) != napi_ok) return NULL;
    for (int i = 0; i < peer.group_count; i++) {
      napi_value gid;
      if (napi_create_int64(env, (int64_t)peer.groups[i], &gid) != napi_ok ||
          napi_set_element(env, groups, (uint32_t)i, gid) != napi_ok) {
        return NULL;
      }
    }
  }
  if (napi_set_named_property(env, result, "groups", groups) != napi_ok) return NULL;
  return result;
}

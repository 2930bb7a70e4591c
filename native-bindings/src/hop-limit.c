#include "hop-limit.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "throw-errno.h"

/*
 * The IMDS trick aws_signing_helper copies: a small TTL on the responses of `serve`, so that
 * credentials cannot travel further than `--hop-limit` routers (e.g. out of a container host).
 * Node.js sets TTLs on UDP sockets only, hence this.
 */

static int read_int_arg(napi_env env, napi_value value, double max, int *out) {
  napi_valuetype type = napi_undefined;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) return -1;
  double number = 0;
  napi_get_value_double(env, value, &number);
  if (!(number >= 0 && number <= max) || number != (double)(int)number) return -1;
  *out = (int)number;
  return 0;
}

/* The level and option for the socket's address family; 0, or an errno value. */
static int hop_option(int fd, int *level, int *option) {
  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) return errno;
  if (local.ss_family == AF_INET) {
    *level = IPPROTO_IP;
    *option = IP_TTL;
  } else if (local.ss_family == AF_INET6) {
    *level = IPPROTO_IPV6;
    *option = IPV6_UNICAST_HOPS;
  } else {
    return EAFNOSUPPORT;
  }
  return 0;
}

napi_value ra_set_hop_limit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int fd = -1;
  int hops = 0;
  if (argc < 2 || read_int_arg(env, argv[0], 2147483647.0, &fd) != 0 || read_int_arg(env, argv[1], 255.0, &hops) != 0 ||
      hops < 1) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "setHopLimit: fd must be a non-negative integer, hops 1..255");
  }
  int level = 0;
  int option = 0;
  int err = hop_option(fd, &level, &option);
  if (err != 0) return ra_throw_errno(env, err, "getsockname", "cannot set the hop limit: not an IP socket");
  if (setsockopt(fd, level, option, &hops, sizeof hops) != 0) {
    return ra_throw_errno(env, errno, "setsockopt", "cannot set the hop limit");
  }
  /* An IPv6 socket may carry IPv4-mapped traffic: its IPv4 TTL matters too (failure is fine). */
  if (level == IPPROTO_IPV6) (void)setsockopt(fd, IPPROTO_IP, IP_TTL, &hops, sizeof hops);
  return NULL;
}

napi_value ra_get_hop_limit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int fd = -1;
  if (argc < 1 || read_int_arg(env, argv[0], 2147483647.0, &fd) != 0) {
    return ra_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "getHopLimit: fd must be a non-negative integer");
  }
  int level = 0;
  int option = 0;
  int err = hop_option(fd, &level, &option);
  if (err != 0) return ra_throw_errno(env, err, "getsockname", "cannot read the hop limit: not an IP socket");
  int hops = 0;
  socklen_t len = sizeof hops;
  if (getsockopt(fd, level, option, &hops, &len) != 0) {
    return ra_throw_errno(env, errno, "getsockopt", "cannot read the hop limit");
  }
  napi_value result;
  if (napi_create_int32(env, hops, &result) != napi_ok) return NULL;
  return result;
}

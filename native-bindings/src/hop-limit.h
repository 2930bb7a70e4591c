#ifndef RA_HOP_LIMIT_H
#define RA_HOP_LIMIT_H

#include <node_api.h>

/* setHopLimit(fd, hops): IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) of a connected TCP socket. */
napi_value ra_set_hop_limit(napi_env env, napi_callback_info info);

/* getHopLimit(fd): the value the kernel will use on that socket. */
napi_value ra_get_hop_limit(napi_env env, napi_callback_info info);

#endif

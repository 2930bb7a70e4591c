#ifndef RA_PEER_CREDENTIALS_H
#define RA_PEER_CREDENTIALS_H

#include <node_api.h>

/* peerCredentials(fd: number) -> { pid, uid, gid } of the process at the other end of a
 * connected Unix-domain stream socket (pid is -1 where the platform cannot tell). */
napi_value ra_peer_credentials(napi_env env, napi_callback_info info);

#endif

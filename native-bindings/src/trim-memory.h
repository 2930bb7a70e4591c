#ifndef RA_TRIM_MEMORY_H
#define RA_TRIM_MEMORY_H

#include <node_api.h>

/* trimMemory() -> boolean: gives the C heap's free pages back to the kernel (glibc malloc_trim);
 * true when some were released, false where there is nothing to do or no way to do it. */
napi_value ra_trim_memory(napi_env env, napi_callback_info info);

#endif

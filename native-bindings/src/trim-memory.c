#include "trim-memory.h"

#include <stdbool.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

napi_value ra_trim_memory(napi_env env, napi_callback_info info) {
  (void)info;
  bool released = false;
#if defined(__GLIBC__)
  /* glibc returns only the top of each arena to the kernel on free(); pages freed in the middle
   * (a burst of requests' buffers, the token library's own allocations) stay resident until
   * malloc_trim madvises them away. Other allocators (musl, macOS) return memory themselves. */
  released = malloc_trim(0) == 1;
#endif
  napi_value result;
  if (napi_get_boolean(env, released, &result) != napi_ok) return NULL;
  return result;
}

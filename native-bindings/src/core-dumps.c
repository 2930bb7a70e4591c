#include "core-dumps.h"

#include <errno.h>
#include <sys/resource.h>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "throw-errno.h"

napi_value ra_disable_core_dumps(napi_env env, napi_callback_info info) {
  (void)info;

  /* RLIMIT_CORE 0 (soft and hard, so it cannot be raised again without privilege): a crash
   * writes no core file, which would hold the PIN, session tokens and secret keys in memory. */
  struct rlimit none = {0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    return ra_throw_errno(env, errno, "setrlimit", "cannot set RLIMIT_CORE to 0");
  }

#if defined(__linux__)
  /* Not dumpable: other processes of the same uid can no longer ptrace the agent or read its
   * /proc/<pid>/mem, environ, maps and fds (they become root-owned), and the kernel writes no
   * core even through a core_pattern pipe. Root (CAP_SYS_PTRACE) still can: that is by design. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return ra_throw_errno(env, errno, "prctl", "cannot clear PR_SET_DUMPABLE");
  }
#endif
  /* Elsewhere (macOS, BSD) RLIMIT_CORE is what is portable; their equivalents of the dumpable
   * flag (PT_DENY_ATTACH, procctl PROC_TRACE_CTL) are not built or tested here. */

  return NULL; /* undefined */
}

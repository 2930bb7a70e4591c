/** A stop request by SIGTERM (systemd, docker stop) or SIGINT (Ctrl-C), for long-running commands. */
export interface SignalWatch {
  /** Resolves with the first signal received. */
  stopped: Promise<NodeJS.Signals>;
  /** Removes the listeners: a second signal then has its default effect. */
  dispose(): void;
}

export function watchSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): SignalWatch {
  let listener: ((signal: NodeJS.Signals) => void) | undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    listener = (signal) => resolve(signal);
  });
  const handler = listener as (signal: NodeJS.Signals) => void;
  for (const signal of signals) process.on(signal, handler);
  return {
    stopped,
    dispose: () => {
      for (const signal of signals) process.off(signal, handler);
    },
  };
}

/**
 * After a clean shutdown the process ends by itself once nothing is left; a CreateSession still
 * on the wire would hold it up to its timeout, so exit anyway shortly after (with the exit code
 * already set). The timer is unref'd: it never keeps the process alive.
 */
export function exitSoon(ms = 1_000): void {
  setTimeout(() => process.exit(), ms).unref();
}

import { VERSION } from '../version';
import type { ProfileHealth, ProfileRuntime } from './profile-runtime';

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  pid: number;
  uptimeSeconds: number;
  profiles: Record<string, ProfileHealth>;
}

/** The agent is "ok" when every profile is: its key usable and valid credentials in memory. */
export function healthReport(
  profiles: Iterable<ProfileRuntime>,
  startedAt: number,
  now: number,
): HealthReport {
  const byName: Record<string, ProfileHealth> = {};
  let degraded = false;
  for (const runtime of profiles) {
    const health = runtime.health();
    byName[runtime.config.name] = health;
    if (health.status !== 'ok') degraded = true;
  }
  return {
    status: degraded ? 'degraded' : 'ok',
    version: VERSION,
    pid: process.pid,
    uptimeSeconds: Math.max(0, Math.round((now - startedAt) / 1000)),
    profiles: byName,
  };
}

import { createCounter, type MetricFamily, renderMetrics } from './metrics-text';
import type { ProfileRuntime } from './profile-runtime';

export type RequestOutcome = 'ok' | 'denied' | 'client_error' | 'error';

export function outcomeOf(status: number): RequestOutcome {
  if (status < 400) return 'ok';
  if (status === 403) return 'denied';
  return status < 500 ? 'client_error' : 'error';
}

/** The agent's own counters; per-profile numbers are read from the profiles at scrape time. */
export function createAgentMetrics() {
  const requests = createCounter(
    'rolesanywhere_agent_requests_total',
    'Requests answered, by route and outcome (ok, denied, client_error, error).',
    ['route', 'outcome'],
  );
  const rejected = createCounter(
    'rolesanywhere_agent_rejected_connections_total',
    'Connections refused before any route: malformed HTTP, timeouts, unidentifiable peers, over the connection limit.',
    ['reason'],
  );
  return {
    requests,
    rejected,
    render(input: {
      profiles: Iterable<ProfileRuntime>;
      connections: number;
      startedAt: number;
      now: number;
    }): string {
      const profiles = [...input.profiles];
      const perProfile = (
        name: string,
        help: string,
        type: 'counter' | 'gauge',
        value: (runtime: ProfileRuntime) => number | undefined,
      ): MetricFamily => ({
        name,
        help,
        type,
        samples: profiles.flatMap((runtime) => {
          const v = value(runtime);
          return v === undefined ? [] : [{ labels: { profile: runtime.config.name }, value: v }];
        }),
      });
      const failures: MetricFamily = {
        name: 'rolesanywhere_agent_create_session_failures_total',
        help: 'Failed CreateSession calls, by error code.',
        type: 'counter',
        samples: profiles.flatMap((runtime) =>
          [...runtime.counters.createSessionFailures].map(([code, value]) => ({
            labels: { profile: runtime.config.name, code },
            value,
          })),
        ),
      };
      const signatures: MetricFamily = {
        name: 'rolesanywhere_agent_signatures_total',
        help: 'Signatures made with the key: for sign requests (purpose="sign") and for CreateSession (purpose="create_session").',
        type: 'counter',
        samples: profiles.flatMap((runtime) => [
          { labels: { profile: runtime.config.name, purpose: 'sign' }, value: runtime.counters.signRoute },
          {
            labels: { profile: runtime.config.name, purpose: 'create_session' },
            value: runtime.counters.signSession,
          },
        ]),
      };
      const health = new Map(profiles.map((runtime) => [runtime, runtime.health()]));
      const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) / 1000);
      const memory = process.memoryUsage();
      const gauge = (name: string, help: string, value: number): MetricFamily => ({
        name,
        help,
        type: 'gauge',
        samples: [{ value }],
      });
      return renderMetrics([
        requests.family(),
        rejected.family(),
        gauge('rolesanywhere_agent_connections', 'Client connections open now.', input.connections),
        gauge(
          'rolesanywhere_agent_uptime_seconds',
          'Seconds since the agent started.',
          Math.round((input.now - input.startedAt) / 1000),
        ),
        gauge('process_resident_memory_bytes', 'Resident memory of the agent process.', memory.rss),
        gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved by the agent.', memory.heapTotal),
        gauge('nodejs_heap_size_used_bytes', 'V8 heap in use by the agent.', memory.heapUsed),
        gauge(
          'nodejs_external_memory_bytes',
          'Memory outside the V8 heap held by JavaScript objects (buffers).',
          memory.external,
        ),
        perProfile(
          'rolesanywhere_agent_create_session_total',
          'CreateSession calls made (each may retry throttling and 5xx inside).',
          'counter',
          (r) => r.counters.createSession,
        ),
        failures,
        signatures,
        perProfile(
          'rolesanywhere_agent_credential_cache_hits_total',
          'Credential requests served from memory.',
          'counter',
          (r) => r.counters.cacheHits,
        ),
        perProfile(
          'rolesanywhere_agent_credential_cache_misses_total',
          'Credential requests that had to wait for CreateSession.',
          'counter',
          (r) => r.counters.cacheMisses,
        ),
        perProfile(
          'rolesanywhere_agent_credentials_age_seconds',
          'Seconds since the cached credentials were fetched.',
          'gauge',
          (r) => {
            const at = seconds(health.get(r)?.credentials.fetchedAt);
            return at === undefined ? undefined : Math.max(0, Math.round(input.now / 1000 - at));
          },
        ),
        perProfile(
          'rolesanywhere_agent_credentials_expiry_timestamp_seconds',
          'When the cached credentials expire (Unix time).',
          'gauge',
          (r) => seconds(health.get(r)?.credentials.expiration),
        ),
        perProfile(
          'rolesanywhere_agent_credentials_valid',
          '1 when valid credentials are in memory.',
          'gauge',
          (r) => (health.get(r)?.credentials.valid ? 1 : 0),
        ),
        perProfile(
          'rolesanywhere_agent_key_up',
          '1 when the key (token) is usable, 0 when unavailable.',
          'gauge',
          (r) => (health.get(r)?.key.state === 'unavailable' ? 0 : 1),
        ),
        perProfile(
          'rolesanywhere_agent_key_failures',
          'Consecutive failures to open or use the key.',
          'gauge',
          (r) => health.get(r)?.key.failures,
        ),
      ]);
    },
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../src/agent/audit-log';
import { makeTempDir } from '../../helpers/tmp';

const tmp = makeTempDir('ra-audit-log-');
afterAll(() => tmp.remove());

const peer = { uid: 1000, gid: 1000, pid: 4242, groups: [] };
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the agent audit log', () => {
  it('writes the lines of one event-loop turn right after it, in order, in a 0600 file', async () => {
    const path = join(tmp.path, 'logs', 'audit.log');
    const audit = createAuditLog({ path });
    for (let i = 0; i < 50; i++) {
      audit.record({ operation: 'credentials', outcome: 'ok', status: 200, profile: `p${i}`, peer });
    }
    expect(readFileSync(path, 'utf8')).toBe('');
    await nextTurn();
    const written = lines(path);
    expect(written.map((line) => line.profile)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
    expect(written[0]).toMatchObject({ audit: true, operation: 'credentials', uid: 1000, pid: 4242 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await audit.close();
  });

  it('writes what is pending on flush and on close, and nothing after close', async () => {
    const path = join(tmp.path, 'flush.log');
    const audit = createAuditLog({ path });
    audit.record({ operation: 'sign', outcome: 'ok', status: 200, digest: 'SHA256', peer });
    audit.flush();
    expect(lines(path)).toHaveLength(1);
    audit.record({ operation: 'sign', outcome: 'denied', status: 403, code: 'FORBIDDEN', peer });
    await audit.close();
    audit.record({ operation: 'health', outcome: 'ok', status: 200 });
    await nextTurn();
    expect(lines(path).map((line) => line.outcome)).toEqual(['ok', 'denied']);
  });

  it('appends to an existing file', async () => {
    const path = join(tmp.path, 'existing.log');
    writeFileSync(path, '{"earlier":true}\n', { mode: 0o600 });
    const audit = createAuditLog({ path });
    audit.record({ operation: 'metrics', outcome: 'ok', status: 200 });
    await audit.close();
    expect(lines(path)).toEqual([{ earlier: true }, expect.objectContaining({ operation: 'metrics' })]);
  });

  it('refuses a path it cannot open, at once, with the path and a hint', () => {
    const blocker = join(tmp.path, 'a-file');
    writeFileSync(blocker, '');
    expect(() => createAuditLog({ path: join(blocker, 'audit.log') })).toThrow(
      expect.objectContaining({
        code: 'AUDIT_LOG_UNAVAILABLE',
        message: expect.stringContaining(join(blocker, 'audit.log')),
        hint: expect.stringContaining('--audit-log'),
      }),
    );
  });

  it('reports a failing write once and keeps going (/dev/full answers ENOSPC)', async () => {
    const errors: Error[] = [];
    const audit = createAuditLog({ path: '/dev/full', onError: (error) => errors.push(error) });
    for (let turn = 0; turn < 3; turn++) {
      audit.record({ operation: 'credentials', outcome: 'ok', status: 200, peer });
      await nextTurn();
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/ENOSPC|no space/i);
    await audit.close();
  });
});

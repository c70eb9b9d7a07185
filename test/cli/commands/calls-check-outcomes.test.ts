import { describe, expect, it } from 'vitest';
import { callOpen, openTestStore, tempDbPath } from '../../evidence/helpers.js';
import { cli } from '../helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

async function ledger(calls: ReadonlyArray<{ id: string; startedAt: string; outcomes: number }>): Promise<string> {
  const path = tempDbPath();
  const store = await openTestStore(path);
  for (const c of calls) {
    await store.append({ callId: c.id, kind: 'call.started', at: c.startedAt, data: { channelId: `ch-${c.id}` } }, { callOpen: callOpen(c.id, { startedAt: c.startedAt }) });
    for (let i = 0; i < c.outcomes; i++) {
      await store.append({ callId: c.id, kind: 'call.failed', data: { step: 'notice', reason: 'test' } }, { callPatch: { outcome: 'failed' } });
    }
  }
  await store.close();
  return path;
}

describe('consentline calls check-outcomes', () => {
  it('exits 0 when every call has one outcome; a call without one that may still run is not a finding', async () => {
    const path = await ledger([
      { id: 'a', startedAt: '2026-03-01T09:00:00.000Z', outcomes: 1 },
      { id: 'running', startedAt: '2026-03-01T11:59:00.000Z', outcomes: 0 },
    ]);
    const r = await cli(['calls', 'check-outcomes', '--db', path], {}, () => NOW);
    expect(r.code).toBe(0);
    expect(r.out).toContain('every call has exactly one outcome');
  });

  it('exits 1 listing calls with none or several, in text and in JSON', async () => {
    const path = await ledger([
      { id: 'none', startedAt: '2026-03-01T09:00:00.000Z', outcomes: 0 },
      { id: 'two', startedAt: '2026-03-01T10:00:00.000Z', outcomes: 2 },
      { id: 'one', startedAt: '2026-03-01T10:30:00.000Z', outcomes: 1 },
    ]);
    const r = await cli(['calls', 'check-outcomes', '--db', path], {}, () => NOW);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^none .*no outcome$/m);
    expect(r.out).toMatch(/^two .*2 outcomes$/m);
    expect(r.out).not.toMatch(/^one /m);
    const json = await cli(['calls', 'check-outcomes', '--db', path, '--json', '--grace-seconds', '0'], {}, () => NOW);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, graceSeconds: 0, findings: [{ callId: 'none', outcomes: 0 }, { callId: 'two', outcomes: 2 }] });
  });

  it('exits 2 on a bad option and 1 when there is no ledger', async () => {
    expect((await cli(['calls', 'check-outcomes', '--grace-seconds', 'x', '--db', tempDbPath()])).code).toBe(2);
    expect((await cli(['calls', 'check-outcomes', '--from', 'yesterday', '--db', tempDbPath()])).code).toBe(2);
    expect((await cli(['calls', 'check-outcomes', '--db', tempDbPath()])).code).toBe(1);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seed, openTestStore, tempDbPath } from '../evidence/helpers.js';
import { cli } from '../cli/helpers.js';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from './evidence-helpers.js';

let t: EvidenceApp;
let auditor: Record<string, string>;
beforeEach(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
  auditor = bearer(await t.issue('auditor'));
});
afterEach(async () => t?.close());

const callIds = async (query: string) => {
  const r = await t.app.inject({ url: `/calls?${query}`, headers: auditor });
  expect(r.statusCode, r.body).toBe(200);
  return (r.json() as { calls: { callId: string }[] }).calls.map((c) => c.callId).sort();
};
const statDays = async (query: string) => {
  const r = await t.app.inject({ url: `/stats?${query}`, headers: auditor });
  expect(r.statusCode, r.body).toBe(200);
  return (r.json() as { days: { day: string; calls: number }[] }).days.map((d) => `${d.day}:${d.calls}`);
};

describe('time ranges: from/to on every route, a day or a date-time', () => {
  it('/calls takes days (to: the whole day) as /stats does, and date-times (to: exclusive)', async () => {
    expect(await callIds('from=2026-03-01&to=2026-03-01')).toEqual(['c-01', 'c-02', 'c-03', 'c-04']);
    expect(await callIds('from=2026-03-02&to=2026-03-02')).toEqual(['c-05', 'c-06']);
    expect(await callIds('from=2026-03-01T10:00:00Z&to=2026-03-01T12:00:00Z')).toEqual(['c-02', 'c-03']);
    expect(await callIds('from=2026-03-01T11:00:00%2B01:00&to=2026-03-02')).toEqual(['c-02', 'c-03', 'c-04', 'c-05', 'c-06']);
  });

  it('/stats takes the same: a date-time counts as its UTC day', async () => {
    expect(await statDays('from=2026-03-01&to=2026-03-02')).toEqual(['2026-03-01:4', '2026-03-02:2']);
    expect(await statDays('from=2026-03-02T05:00:00Z&to=2026-03-02T23:00:00Z')).toEqual(['2026-03-02:2']);
  });

  it('a value that is neither is a 400 that says what is expected, on both routes', async () => {
    for (const url of ['/calls?from=yesterday', '/calls?to=2026-02-30', '/stats?from=2026-03-01&to=03/02/2026']) {
      const r = await t.app.inject({ url, headers: auditor });
      expect(r.statusCode, url).toBe(400);
      expect(JSON.stringify(r.json()), url).toContain('must be a day (YYYY-MM-DD) or a date-time with a zone (ISO-8601)');
    }
  });
});

describe('tree sizes: fromTreeSize/toTreeSize; from/to still accepted, marked deprecated', () => {
  it('answers the same proof under both names; the old one carries a Deprecation header', async () => {
    const admin = bearer(await t.issue('admin'));
    const first = (await t.app.inject({ method: 'POST', url: '/checkpoints', headers: admin })).json().checkpoint.treeSize as number;
    await t.store.append({ callId: 'x', kind: 'call.ended', data: {} });
    const second = (await t.app.inject({ method: 'POST', url: '/checkpoints', headers: admin })).json().checkpoint.treeSize as number;
    const current = await t.app.inject({ url: `/checkpoints/consistency?fromTreeSize=${first}&toTreeSize=${second}`, headers: auditor });
    expect(current.statusCode, current.body).toBe(200);
    expect(current.headers.deprecation).toBeUndefined();
    const old = await t.app.inject({ url: `/checkpoints/consistency?from=${first}&to=${second}`, headers: auditor });
    expect(old.statusCode).toBe(200);
    expect(old.headers.deprecation).toBe('true');
    expect(old.json().proof).toEqual(current.json().proof);
    expect(current.json()).toMatchObject({ fromTreeSize: first, toTreeSize: second });
    const missing = await t.app.inject({ url: `/checkpoints/consistency?toTreeSize=${second}`, headers: auditor });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toContain('fromTreeSize');
  });
});

describe('ledger positions: fromSeq/toSeq in the API, --from-seq/--to-seq on the command line', () => {
  it('the CLI takes --from-seq/--to-seq; --from/--to still work with a deprecation note; both at once is a usage error', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    await seed(store, 12);
    await store.close();
    const current = await cli(['ledger', 'verify', '--from-seq', '3', '--to-seq', '7', '--db', path]);
    expect(current.code).toBe(0);
    expect(current.out).toContain('ledger OK: 5 events verified (seq 3..7)');
    expect(current.err).not.toContain('deprecated');
    const old = await cli(['ledger', 'verify', '--from', '3', '--to', '7', '--db', path]);
    expect(old.code).toBe(0);
    expect(old.out).toContain('ledger OK: 5 events verified (seq 3..7)');
    expect(old.err).toContain('--from is deprecated; use --from-seq');
    expect((await cli(['ledger', 'verify', '--from', '3', '--from-seq', '3', '--db', path])).code).toBe(2);
    expect((await cli(['ledger', 'verify', '--from-seq', '7', '--to-seq', '3', '--db', path])).code).toBe(2);
  });
});

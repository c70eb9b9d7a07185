import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openNote, parseVerifierKey } from '../../src/evidence/checkpoint.js';
import { PgTokenStore } from '../../src/api/tokens-pg.js';
import { createPgPool } from '../../src/db/pg.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { pressAfter } from '../emulators/ari/emulator.js';
import { testDatabase } from '../contract/pg-helpers.js';
import { startScenario } from './harness.js';

const MENU = 'consentline/menu';
const dbUrl = testDatabase('cl_instances');

type Scenario = Awaited<ReturnType<typeof startScenario>>;
const running: Scenario[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
});

/** One whole service (its own Asterisk emulator, data dir and instance id) on the shared database. */
const shared = mkdtempSync(join(tmpdir(), 'cl-instances-'));
afterAll(() => rmSync(shared, { recursive: true, force: true }));
/** Instances sharing a ledger share the checkpoint key and origin. */
const SIGNING = { checkpointKeyFile: join(shared, 'checkpoint.pem'), checkpointOrigin: 'consentline/test-ledger' };

async function instance(n: number, signing: Record<string, string> = SIGNING): Promise<Scenario> {
  const s = await startScenario({
    top: {
      database: { url: dbUrl() },
      // Signing is by hand here (the race of two admins): no scheduled checkpoints.
      evidence: { ...signing, checkpoint: { everyMinutes: 0, everyEvents: 0 } },
      service: { instanceId: `consentline-${n}` },
      ari: { server: `pbx-${n}` },
      retention: { enabled: false },
    },
  });
  running.push(s);
  return s;
}

async function api(s: Scenario, token: string, method: 'GET' | 'POST', path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.service.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

describe('several instances on one PostgreSQL database', () => {
  it('two services take calls at once: one chain, no fork; each call names its server and instance; either API sees all', async () => {
    // Started one after the other: the first one migrates, the second finds the schema ready.
    const one = await instance(1);
    const two = await instance(2);
    const calls = [one, two, one, two].map((s, i) =>
      s.emu.originate({ callerNumber: `+4860010020${i}`, exten: '221234567', script: [pressAfter(MENU, i % 2 ? '9' : '1', 20)] }),
    );
    const outcomes = await Promise.all(calls.map((c) => c.outcome()));
    await Promise.all([one.service.calls.drain(), two.service.calls.drain()]);
    expect(outcomes.every((o) => o.kind === 'continued')).toBe(true);

    // By CONSENT_ID: the two emulated servers hand out the same channel ids.
    const started = await Promise.all(calls.map(async (c) => (await one.service.store.callEvents(c.variables().CONSENT_ID!))[0]!));
    expect(started.map((e) => [e.data.server, e.data.instance])).toEqual([
      ['pbx-1', 'consentline-1'],
      ['pbx-2', 'consentline-2'],
      ['pbx-1', 'consentline-1'],
      ['pbx-2', 'consentline-2'],
    ]);
    expect(calls.map((c) => c.variables().CONSENT_RECORDING)).toEqual(['yes', 'no', 'yes', 'no']);

    // One chain: a third reader on the database sees every event, gapless, verifying.
    const reader = await openPgEvidenceStore({ url: dbUrl(), max: 1 });
    try {
      const head = await reader.head();
      const verdict = await reader.verify();
      expect(verdict).toMatchObject({ ok: true, checked: head!.seq });
      const seqs: number[] = [];
      for await (const e of reader.events()) seqs.push(e.seq);
      expect(seqs).toEqual(Array.from({ length: head!.seq }, (_, i) => i + 1));
    } finally {
      await reader.close();
    }

    // The API of either instance reads the shared database: tokens, calls, verify, checkpoints.
    const pool = createPgPool({ url: dbUrl(), max: 1 });
    const { token } = await new PgTokenStore(pool).create('auditor-ops', 'admin');
    await pool.end();
    for (const s of [one, two]) {
      const list = await api(s, token, 'GET', '/calls?limit=50');
      expect(list.status).toBe(200);
      expect(list.body.calls).toHaveLength(4);
      const verify = await api(s, token, 'GET', '/ledger/verify');
      expect(verify.status).toBe(200);
      expect(verify.body).toMatchObject({ ok: true });
    }
    // Both sign at once: one checkpoint per tree size, both answers name it.
    const [a, b] = await Promise.all([api(one, token, 'POST', '/checkpoints'), api(two, token, 'POST', '/checkpoints')]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.checkpoint.treeSize).toBe(b.body.checkpoint.treeSize);
    const latest = await api(two, token, 'GET', '/checkpoints/latest');
    expect(latest.body.treeSize ?? latest.body.checkpoint?.treeSize).toBe(a.body.checkpoint.treeSize);
    // One key for the ledger: either instance's published key opens whichever signed.
    const keys = await Promise.all([one, two].map(async (s) => (await api(s, token, 'GET', '/checkpoints/public-key')).body.verifierKey as string));
    expect(keys[0]).toBe(keys[1]);
    const note = (latest.body.note ?? latest.body.checkpoint?.note) as string;
    expect(openNote(note, parseVerifierKey(keys[0]!)!)).toMatchObject({ ok: true });

    // An instance started with its own key is told at once that it does not sign alike.
    const stray = await instance(3, {});
    expect(stray.logs.some((l) => /signed with another key or origin/.test(String(l.msg)))).toBe(true);
    expect(one.logs.some((l) => /signed with another key or origin/.test(String(l.msg)))).toBe(false);
  });
});

// GET /ledger/verify against the stored signed checkpoints (issue 19, item 2), on both engines.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { checkpointRoutes } from '../../src/api/routes/checkpoints.js';
import type { EvidenceApiDeps } from '../../src/api/routes/evidence-deps.js';
import { loadOrCreateSigner } from '../../src/evidence/checkpoint.js';
import { readSideCheckpoints } from '../../src/evidence/open-read-side.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { createMetrics } from '../../src/shared/metrics.js';
import { appendEvents, flipSignatureBit, LEDGER_ORIGIN, pgAuditLedger, rewriteFrom, sqliteAuditLedger, type AuditLedger } from '../contract/ledger-audit-engines.js';
import { bearer } from './evidence-helpers.js';
import { logSink } from './helpers.js';

/**
 * The checkpoint routes over a ledger's read side, as the service mounts them, and an auditor's
 * token; `keyPath` another signing key than the ledger's, `former` verifier keys configured as trusted.
 */
async function api(ledger: AuditLedger, opts: { keyPath?: string; former?: string[] } = {}) {
  const side = await ledger.readSide();
  const tokens = await ledger.tokens();
  const { signer } = loadOrCreateSigner(opts.keyPath ?? ledger.keyPath, LEDGER_ORIGIN);
  const checkpoints = readSideCheckpoints(side, { signer });
  // The verification and checkpoint routes read only these.
  const deps = { queries: side.queries, checkpoints, ...(opts.former ? { formerVerifierKeys: opts.former } : {}) } as unknown as EvidenceApiDeps;
  const app = await buildApp({ log: logSink().log, tokens, metrics: createMetrics(), readiness: async () => ({}), routes: [checkpointRoutes(deps)] });
  onTestFinished(() => app.close());
  const auditor = bearer((await tokens.create('auditor', 'auditor')).token);
  const verify = async () => {
    const r = await app.inject({ url: '/ledger/verify', headers: auditor });
    expect(r.statusCode).toBe(200);
    return r.json();
  };
  /** Appends in steps, signing a checkpoint after each. */
  const grow = async (steps: readonly number[]) => {
    for (const n of steps) {
      await appendEvents(ledger, n);
      expect((await checkpoints.create()).ok).toBe(true);
    }
  };
  return { verify, grow };
}

const ENGINES = [
  { name: 'sqlite', ledger: async () => sqliteAuditLedger() },
  { name: 'postgres', ledger: pgAuditLedger },
] as const;

describe.each(ENGINES)('GET /ledger/verify against signed checkpoints ($name)', ({ ledger: open }) => {
  it('intact: ok, every checkpoint matched, the latest one named, the events past it counted', async () => {
    const ledger = await open();
    const { verify, grow } = await api(ledger);
    await grow([6, 6]);
    await appendEvents(ledger, 3);
    const body = await verify();
    expect(body).toMatchObject({ ok: true, checked: 15, range: { fromSeq: 1, toSeq: null } });
    expect(body.checkpoints).toMatchObject({ checked: 2, failed: 0, notReached: 0, signaturesChecked: true, matchedUpTo: 12, eventsAfterLatest: 3, failure: null });
    expect(body.checkpoints.latest).toMatchObject({ treeSize: 12, rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('a tail rewritten with recomputed hashes below the last checkpoint: not ok, brokenAt is the first rewritten seq', async () => {
    const ledger = await open();
    const { verify, grow } = await api(ledger);
    await grow([1, 1, 1, 1, 1, 1, 1, 1]);
    await rewriteFrom(ledger, 6);
    const body = await verify();
    expect(body).toMatchObject({ ok: false, checked: 8, brokenAt: 6, reason: 'root_mismatch' });
    expect(body.explanation).toContain('the first rewritten event is seq 6');
    expect(body.checkpoints.failure).toMatchObject({ reason: 'root_mismatch', treeSize: 6, firstBadSeq: 6, lastBadSeq: 6 });
    expect(body.checkpoints).toMatchObject({ failed: 3, matchedUpTo: 5 });
  });

  it('the last events removed below the last checkpoint: truncated, brokenAt the first missing seq', async () => {
    const ledger = await open();
    const { verify, grow } = await api(ledger);
    await grow([5, 5]);
    await ledger.deleteFrom(8);
    const body = await verify();
    expect(body).toMatchObject({ ok: false, checked: 7, brokenAt: 8, reason: 'truncated' });
    expect(body.checkpoints.failure).toMatchObject({ reason: 'truncated', treeSize: 10, firstBadSeq: 8, lastBadSeq: 10 });
    expect(body.explanation).toContain('signed checkpoints count 10 events but the ledger holds 7');
  });

  it('a forged checkpoint signature: not ok, the checkpoint named', async () => {
    const ledger = await open();
    const { verify, grow } = await api(ledger);
    await grow([4, 4]);
    const [, second] = await ledger.checkpoints();
    const genuineRoot = (await verify()).checkpoints.latest.rootHash;
    await ledger.setCheckpoint(second!.id, genuineRoot, flipSignatureBit(second!.note));
    const body = await verify();
    expect(body).toMatchObject({ ok: false, brokenAt: null, reason: 'bad_signature' });
    expect(body.checkpoints.failure).toMatchObject({ reason: 'bad_signature', checkpointId: second!.id, treeSize: 8 });
  });

  it('tampering only after the last checkpoint: ok for the checkpoints, the events past it reported as chain-only', async () => {
    const ledger = await open();
    const { verify, grow } = await api(ledger);
    await grow([5]);
    await appendEvents(ledger, 4);
    await rewriteFrom(ledger, 7);
    const body = await verify();
    expect(body).toMatchObject({ ok: true, checked: 9 });
    expect(body.checkpoints).toMatchObject({ checked: 1, failed: 0, matchedUpTo: 5, eventsAfterLatest: 4 });
  });
});

describe('checkpoints signed with a former key', () => {
  it('fail as unknown_key after the key changed, and verify again once its verifier key is configured', async () => {
    const ledger = sqliteAuditLedger();
    const before = await api(ledger);
    await before.grow([3]);
    const formerKey = loadOrCreateSigner(ledger.keyPath, LEDGER_ORIGIN).signer.verifierKey;
    const newKeyPath = join(ledger.keyPath, '..', 'new-key.pem');
    const rotated = await api(ledger, { keyPath: newKeyPath });
    await rotated.grow([2]);
    expect(await rotated.verify()).toMatchObject({ ok: false, reason: 'unknown_key', checkpoints: { failed: 1, matchedUpTo: 5 } });
    const configured = await api(ledger, { keyPath: newKeyPath, former: [formerKey] });
    expect(await configured.verify()).toMatchObject({ ok: true, checkpoints: { checked: 2, failed: 0, matchedUpTo: 5 } });
  });

  it('evidence.checkpointVerifierKeys takes verifier keys only', () => {
    const { signer } = loadOrCreateSigner(sqliteAuditLedger().keyPath, LEDGER_ORIGIN);
    // The rest of the file is left out: only the problems under `evidence` count here.
    const evidenceIssues = (keys: string[]) =>
      (ConfigSchema.safeParse({ evidence: { checkpointVerifierKeys: keys } }).error?.issues ?? []).filter((i) => i.path[0] === 'evidence');
    expect(evidenceIssues([signer.verifierKey])).toEqual([]);
    const bad = evidenceIssues(['consentline/x+00000000+AAAA']);
    expect(bad.map((i) => [i.path.join('.'), i.message])).toEqual([['evidence.checkpointVerifierKeys.0', 'must be a verifier key (name+hash+base64key, from /checkpoints/public-key)']]);
  });
});

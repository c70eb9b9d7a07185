import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashEvent } from '../../src/evidence/chain.js';
import { checkpointText, parseVerifierKey, signNote, signerFromPrivateKey, type Checkpoint } from '../../src/evidence/checkpoint.js';
import { NO_KEYS, type CheckpointPages } from '../../src/evidence/checkpoint-check.js';
import { auditLedger, type AuditProgress } from '../../src/evidence/ledger-audit.js';
import { MemoryTree, eventLeafHash, treeRoot } from '../../src/evidence/merkle.js';
import type { EventRange } from '../../src/evidence/store.js';
import type { StoredEvent } from '../../src/evidence/types.js';

const signer = signerFromPrivateKey('test/ledger', generateKeyPairSync('ed25519').privateKey);
const keys = { verifiers: [parseVerifierKey(signer.verifierKey)!], publicKeys: [] };

function chain(n: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const body = { seq, callId: null, at: '2026-03-01T09:00:00.000Z', kind: 'access.logged' as const, data: { seq } };
    const hash = hashEvent(prevHash, body);
    out.push({ ...body, prevHash, hash });
    prevHash = hash;
  }
  return out;
}

async function checkpoints(events: readonly StoredEvent[], sizes: readonly number[]): Promise<Checkpoint[]> {
  const tree = new MemoryTree(events.map((e) => eventLeafHash(e.hash)));
  return Promise.all(
    sizes.map(async (size, i) => {
      const root = await treeRoot(tree, size);
      const note = signNote(checkpointText(signer.name, size, root), signer);
      return { id: i + 1, treeSize: size, rootHash: root.toString('hex'), origin: signer.name, keyId: signer.keyHash.toString('hex'), note, createdAt: '2026-03-01T10:00:00.000Z' };
    }),
  );
}

/** In-memory sources that count how often the events are read and how many pages are asked for. */
function sources(events: readonly StoredEvent[], cps: readonly Checkpoint[]) {
  const reads = { eventPasses: 0, pages: 0 };
  const pages: CheckpointPages = {
    async page(after, limit) {
      reads.pages += 1;
      return cps.filter((c) => c.treeSize > after.treeSize || (c.treeSize === after.treeSize && c.id > after.id)).slice(0, limit);
    },
  };
  async function* stream(range: EventRange) {
    reads.eventPasses += 1;
    for (const e of events) if (e.seq <= (range.toSeq ?? Infinity)) yield e;
  }
  return { reads, events: stream, checkpoints: pages };
}

describe('auditLedger', () => {
  it('checks 1,001 checkpoints over 1,100 events in one pass over the events, the checkpoints read in pages', { timeout: 60_000 }, async () => {
    const events = chain(1_100);
    const cps = await checkpoints(events, Array.from({ length: 1_001 }, (_, i) => i + 1));
    const src = sources(events, cps);
    const progress: AuditProgress[] = [];
    const r = await auditLedger({ ...src, keys }, { total: 1_100, progressEvery: 500, onProgress: (p) => progress.push(p) });
    expect(r.ok).toBe(true);
    expect(r.checkpoints).toMatchObject({ checked: 1_001, failed: 0, matchedUpTo: 1_001, eventsAfterLatest: 99, signaturesChecked: true, failure: null });
    expect(src.reads).toEqual({ eventPasses: 1, pages: 3 });
    expect(progress).toEqual([
      { done: 500, total: 1_100, lastSeq: 500 },
      { done: 1_000, total: 1_100, lastSeq: 1_000 },
    ]);
  });

  it('a checkpoint of the empty tree is checked against the empty root', async () => {
    const events = chain(3);
    const r = await auditLedger({ ...sources(events, await checkpoints(events, [0, 3])), keys });
    expect(r.checkpoints).toMatchObject({ checked: 2, failed: 0, matchedUpTo: 3 });
  });

  it('without a key the roots are still compared, and the report says signatures were not checked', async () => {
    const events = chain(20);
    const cps = await checkpoints(events, [10, 20]);
    const intact = await auditLedger({ ...sources(events, cps), keys: NO_KEYS });
    expect(intact).toMatchObject({ ok: true, checkpoints: { checked: 2, signaturesChecked: false } });
    const shorter = await auditLedger({ ...sources(events.slice(0, 15), cps), keys: NO_KEYS });
    expect(shorter.checkpoints?.failure).toMatchObject({ reason: 'truncated', firstBadSeq: 16, lastBadSeq: 20 });
  });

  it("a checkpoint whose row disagrees with its signed note is reported, and a forged one larger than the ledger is not taken for a truncation", async () => {
    const events = chain(10);
    const [cp5, cp10] = await checkpoints(events, [5, 10]);
    const other = signerFromPrivateKey('test/ledger', generateKeyPairSync('ed25519').privateKey);
    const root = Buffer.alloc(32, 7);
    const forgedBig = { ...cp10!, id: 3, treeSize: 50, rootHash: root.toString('hex'), note: signNote(checkpointText('test/ledger', 50, root), other) };
    const r = await auditLedger({ ...sources(events, [{ ...cp5!, rootHash: 'ab'.repeat(32) }, cp10!, forgedBig]), keys });
    expect(r.ok).toBe(false);
    expect(r.checkpoints).toMatchObject({ checked: 3, failed: 2, matchedUpTo: 10, failure: { reason: 'row_mismatch', checkpointId: 1, firstBadSeq: null } });
  });

  it('a broken link stops the pass: later checkpoints are not reached, the chain names the seq', async () => {
    const events = chain(20);
    const cps = await checkpoints(events, [5, 15, 20]);
    const broken = events.map((e) => (e.seq === 12 ? { ...e, data: { seq: 99 } } : e));
    const r = await auditLedger({ ...sources(broken, cps), keys });
    expect(r).toMatchObject({ ok: false, chain: { ok: false, brokenAt: 12, reason: 'hash_mismatch' } });
    expect(r.checkpoints).toMatchObject({ checked: 1, failed: 0, notReached: 2, matchedUpTo: 5 });
  });
});

// `ledger verify` against the stored signed checkpoints (issue 19, item 2), written once and
// run against each engine through the CLI (ledger-audit-sqlite.test.ts, ledger-audit-postgres.test.ts).
// The attacks keep the hash chain internally consistent (hashes recomputed), so only the
// checkpoints can tell.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkpointText, signNote, signerFromPrivateKey } from '../../src/evidence/checkpoint.js';
import { cli } from '../cli/helpers.js';
import { appendEvents as append, flipSignatureBit, rewriteFrom, treeRootOf, type AuditLedger } from './ledger-audit-engines.js';

export interface AuditEngine {
  readonly name: 'sqlite' | 'postgres';
  ledger(): Promise<AuditLedger>;
}

async function sign(ledger: AuditLedger): Promise<void> {
  const r = await cli(['checkpoint', 'create', '--db', ledger.db, ...(ledger.signingKey ? ['--key', ledger.signingKey] : [])]);
  expect(r.code, r.out + r.err).toBe(0);
}

/** Appends in steps, signing a checkpoint after each. */
async function grow(ledger: AuditLedger, steps: readonly number[]): Promise<void> {
  for (const n of steps) {
    await append(ledger, n);
    await sign(ledger);
  }
}

const verify = (ledger: AuditLedger, extra: string[] = []) =>
  cli(['ledger', 'verify', '--db', ledger.db, ...(ledger.verifyKey ? ['--key', ledger.verifyKey] : []), ...extra]);

export function ledgerAuditContract(engine: AuditEngine): void {
  describe(`ledger verify against signed checkpoints (${engine.name})`, () => {
    it('an intact ledger: every checkpoint checked, the events past the last one counted as chain-only', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, [10, 10]);
      await append(ledger, 5);
      const r = await verify(ledger);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('ledger OK: 25 events verified (seq 1..25)');
      expect(r.out).toContain('checkpoints: 2 checked, 0 failed; the events match signed checkpoints up to tree size 20');
      expect(r.out).toMatch(/latest checkpoint: #\d+, tree size 20, root [0-9a-f]{64}/);
      expect(r.out).toContain('5 event(s) after the last matching checkpoint (seq 21..25) are protected only by the hash chain');
      expect(r.out).not.toContain('NOT checked');
    });

    it('a rewritten tail with recomputed hashes: fails, naming the first rewritten seq', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, Array.from({ length: 12 }, () => 1));
      await rewriteFrom(ledger, 9);
      const r = await verify(ledger);
      expect(r.code).toBe(1);
      expect(r.out).toContain('hash chain OK: 12 events verified');
      expect(r.out).toContain('ledger BROKEN: root_mismatch: checkpoint #');
      expect(r.out).toContain('the first rewritten event is seq 9 (the events up to seq 8 match a signed checkpoint)');
      expect(r.out).toContain('checkpoints: 12 checked, 4 failed; the events match signed checkpoints up to tree size 8');
      expect(r.out).not.toContain('protected only by the hash chain');
    });

    it('with checkpoints further apart, the first rewritten event is placed between two of them', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, [10, 10, 10]);
      await rewriteFrom(ledger, 16);
      const r = await verify(ledger);
      expect(r.code).toBe(1);
      expect(r.out).toContain('(tree size 20) does not match the events');
      expect(r.out).toContain('the first rewritten event is in seq 11..20 (the events up to seq 10 match a signed checkpoint)');
    });

    it('the last events removed below the last checkpoint: fails reporting the truncation', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, [10, 10]);
      await ledger.deleteFrom(18);
      const r = await verify(ledger);
      expect(r.code).toBe(1);
      expect(r.out).toContain('hash chain OK: 17 events verified');
      expect(r.out).toContain('ledger BROKEN: truncated: events were removed from the end: signed checkpoints count 20 events but the ledger holds 17; seq 18..20 missing');
      expect(r.out).toContain('checkpoints: 2 checked, 1 failed; the events match signed checkpoints up to tree size 10');
    });

    it('a forged checkpoint signature fails; so does a checkpoint re-signed with a key nobody trusts', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, [5, 5]);
      const [first, second] = await ledger.checkpoints();
      const root1 = (await treeRootOf(ledger, 5)).toString('hex');
      await ledger.setCheckpoint(first!.id, root1, flipSignatureBit(first!.note));
      let r = await verify(ledger);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`ledger BROKEN: bad_signature: checkpoint #${first!.id} (tree size 5) carries a signature that does not verify`);

      // The attacker rewrites events and signs new checkpoints over them with a key of their own.
      await ledger.setCheckpoint(first!.id, root1, first!.note);
      await rewriteFrom(ledger, 7);
      const origin = first!.note.split('\n')[0]!;
      const forger = signerFromPrivateKey(origin, generateKeyPairSync('ed25519').privateKey);
      const root2 = await treeRootOf(ledger, 10);
      await ledger.setCheckpoint(second!.id, root2.toString('hex'), signNote(checkpointText(origin, 10, root2), forger));
      r = await verify(ledger);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`ledger BROKEN: unknown_key: checkpoint #${second!.id} (tree size 10) is signed by no trusted key`);
    });

    it('verifying with a key that did not sign the checkpoints fails: nothing is taken on trust', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, [3]);
      const stranger = signerFromPrivateKey('consentline/ledger', generateKeyPairSync('ed25519').privateKey);
      const r = await cli(['ledger', 'verify', '--db', ledger.db, '--key', stranger.verifierKey]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('ledger BROKEN: unknown_key');
      const bad = await cli(['ledger', 'verify', '--db', ledger.db, '--key', '/nonexistent/key.pem']);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('neither a verifier key');
    });

    it('tampering only after the last checkpoint passes the checkpoints and says those events are protected only by the chain', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, [10]);
      await append(ledger, 4);
      await rewriteFrom(ledger, 12);
      const r = await verify(ledger);
      expect(r.code).toBe(0);
      expect(r.out).toContain('ledger OK: 14 events verified');
      expect(r.out).toContain('checkpoints: 1 checked, 0 failed');
      expect(r.out).toContain('4 event(s) after the last matching checkpoint (seq 11..14) are protected only by the hash chain');
    });

    it('--from skips the checkpoints and says so; --to checks those up to it', async () => {
      const ledger = await engine.ledger();
      await grow(ledger, [10, 10]);
      await rewriteFrom(ledger, 15);
      const from = await verify(ledger, ['--from', '11']);
      expect(from.code).toBe(0);
      expect(from.out).toContain('checkpoints: not checked');
      const to = await verify(ledger, ['--to', '12']);
      expect(to.code).toBe(0);
      expect(to.out).toContain('checkpoints: 1 checked, 0 failed');
    });
  });
}

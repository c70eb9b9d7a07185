import type { CheckpointService } from '../../evidence/checkpoint.js';
import { parseVerifierKey } from '../../evidence/checkpoint.js';
import type { TrustedKeys } from '../../evidence/checkpoint-check.js';
import { explainCheckpointFailure } from '../../evidence/ledger-audit-explain.js';
import type { LedgerAudit } from '../../evidence/ledger-audit.js';

const EXPLAIN = {
  hash_mismatch: "the event's content no longer matches its hash",
  prev_hash_mismatch: 'the event does not link to the one before it',
  seq_gap: 'one or more events before it are missing',
  seq_order: 'events are out of order or duplicated',
} as const;

/** The service's own checkpoint key (every instance sharing the ledger signs with it) and any former ones. */
export function trustedKeysOf(checkpoints: Pick<CheckpointService, 'verifierKey'>, former: readonly string[] = []): TrustedKeys {
  const verifiers = [checkpoints.verifierKey, ...former].map(parseVerifierKey).filter((v) => v !== null);
  return { verifiers, publicKeys: [] };
}

/**
 * `GET /ledger/verify`: the chain's result as before (ok, checked, headHash or brokenAt and
 * reason), and `checkpoints` (see docs/auditor-guide.md). When only a checkpoint fails,
 * `brokenAt` and `reason` come from it: the first seq it puts in doubt, and why.
 */
export function ledgerVerifyView(audit: LedgerAudit, range: { fromSeq: number; toSeq: number | null }) {
  const { chain, checkpoints } = audit;
  const base = chain.ok ? { ...chain, ok: audit.ok } : { ...chain, explanation: EXPLAIN[chain.reason] };
  const failure = checkpoints?.failure ?? null;
  const fromCheckpoint =
    chain.ok && failure
      ? { brokenAt: failure.firstBadSeq, reason: failure.reason, explanation: explainCheckpointFailure(failure, checkpoints!) }
      : {};
  return { ...base, ...fromCheckpoint, range, checkpoints };
}

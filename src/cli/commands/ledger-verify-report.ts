import { describeUnprotected, explainCheckpointFailure } from '../../evidence/ledger-audit-explain.js';
import type { CheckpointReport, LedgerAudit } from '../../evidence/ledger-audit.js';
import type { VerifyResult } from '../../evidence/types.js';
import type { CliIo } from '../command.js';

type Reason = Extract<VerifyResult, { ok: false }>['reason'];

const EXPLAIN: Record<Reason, string> = {
  hash_mismatch: "the event's content (call id, time, kind or data) no longer matches its hash",
  prev_hash_mismatch: 'the event does not link to the one before it (events reordered, replaced or re-hashed)',
  seq_gap: 'one or more events before it are missing',
  seq_order: 'events are out of order or duplicated',
};

/** Prints the outcome of `ledger verify`; true when the ledger is intact. */
export function reportAudit(audit: LedgerAudit, from: number, io: CliIo): boolean {
  const { chain, checkpoints } = audit;
  if (chain.ok) {
    const span = chain.checked === 0 ? 'nothing in range' : `seq ${from}..${from + chain.checked - 1}`;
    io.out(`${audit.ok ? 'ledger OK' : 'hash chain OK'}: ${chain.checked} events verified (${span})`);
    io.out(`head hash ${chain.headHash}`);
  } else {
    io.out(`ledger BROKEN at seq ${chain.brokenAt}: ${chain.reason}: ${EXPLAIN[chain.reason]}`);
    io.out(`${chain.checked} events before it verified`);
  }
  if (!checkpoints) {
    io.out('checkpoints: not checked (their roots cover the ledger from seq 1: verify without --from to check them)');
    return audit.ok;
  }
  reportCheckpoints(checkpoints, from + chain.checked - 1, io);
  return audit.ok;
}

function reportCheckpoints(r: CheckpointReport, head: number, io: CliIo): void {
  if (r.failure) io.out(`ledger BROKEN: ${r.failure.reason}: ${explainCheckpointFailure(r.failure, r)}`);
  if (!r.signaturesChecked && r.latest) io.out('WARNING: checkpoint signatures NOT checked: no key known (pass --key with the verifier key or the key file)');
  if (!r.latest) {
    io.out(`checkpoints: none signed yet; all ${head} events are protected only by the hash chain (consentline checkpoint create signs one)`);
    return;
  }
  const notReached = r.notReached ? `, ${r.notReached} past the broken link not reached` : '';
  io.out(`checkpoints: ${r.checked} checked, ${r.failed} failed${notReached}; the events match signed checkpoints up to tree size ${r.matchedUpTo}`);
  io.out(`latest checkpoint: #${r.latest.id}, tree size ${r.latest.treeSize}, root ${r.latest.rootHash}, signed ${r.latest.createdAt} (compare it with your copy)`);
  // After a rewrite or a truncation, the events past the last match are in doubt, not merely unprotected.
  if (r.failure?.reason !== 'truncated' && r.failure?.reason !== 'root_mismatch') io.out(describeUnprotected(r, head));
}

import type { CheckpointFailure, CheckpointReport } from './ledger-audit.js';

const seqs = (a: number, b: number) => (a === b ? `seq ${a}` : `seq ${a}..${b}`);

/** One sentence on a checkpoint failure, for the CLI and the API alike. */
export function explainCheckpointFailure(f: CheckpointFailure, report: Pick<CheckpointReport, 'signaturesChecked'>): string {
  const which = `checkpoint #${f.checkpointId} (tree size ${f.treeSize})`;
  switch (f.reason) {
    case 'root_mismatch':
      return (
        `${which} does not match the events: checkpointed events were rewritten; the first rewritten event is ` +
        `${f.firstBadSeq === f.lastBadSeq ? '' : 'in '}${seqs(f.firstBadSeq!, f.lastBadSeq!)}` +
        (f.firstBadSeq! > 1 ? ` (the events up to seq ${f.firstBadSeq! - 1} match a signed checkpoint)` : '')
      );
    case 'truncated':
      return `events were removed from the end: signed checkpoints count ${f.lastBadSeq} events but the ledger holds ${f.firstBadSeq! - 1}; ${seqs(f.firstBadSeq!, f.lastBadSeq!)} missing`;
    case 'bad_signature':
      return `${which} carries a signature that does not verify: the checkpoint was forged or altered`;
    case 'unknown_key':
      return `${which} is signed by no trusted key: forged, or signed with a key no longer in use (give its verifier key)`;
    case 'row_mismatch':
      return `${which}: its stored tree size, root or origin differ from what its note ${report.signaturesChecked ? 'signs' : 'says'}`;
    case 'malformed_checkpoint':
      return `${which} is not a well-formed signed checkpoint`;
  }
}

/** What the chain alone protects, in words. */
export function describeUnprotected(report: CheckpointReport, head: number): string {
  if (report.eventsAfterLatest === 0) return 'no events after the last matching checkpoint';
  return `${report.eventsAfterLatest} event(s) after the last matching checkpoint (${seqs(head - report.eventsAfterLatest + 1, head)}) are protected only by the hash chain`;
}

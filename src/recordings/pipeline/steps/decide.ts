import { recordingObjectKey } from '../../storage/keys.js';
import { checkDuration, type AudioVerdict } from '../audio-check.js';
import { callIdFromFileName, quarantineObjectKey } from '../names.js';
import type { QuarantineReason, RowIn } from '../row.js';
import type { StepPorts } from './ports.js';

export type Decision = { disposition: 'keep' } | { disposition: 'quarantine'; reason: QuarantineReason; detail?: string };

/**
 * Keep or quarantine: only an audio file (audio-check.ts) of a call whose evidence says
 * recording=yes, no longer than that call, keeps its recording.
 */
export async function decide(
  row: RowIn<'spooled'>,
  audio: AudioVerdict,
  p: Pick<StepPorts, 'evidence' | 'isDoNotRecord' | 'clock'>,
): Promise<Decision> {
  if (!audio.ok) return { disposition: 'quarantine', reason: audio.reason, detail: audio.detail };
  if (!row.call_id) return { disposition: 'quarantine', reason: 'unknown_call' };
  const fromName = callIdFromFileName(row.source_name);
  if (fromName !== null && fromName !== row.call_id) return { disposition: 'quarantine', reason: 'id_mismatch' };
  const call = await p.evidence.getCall(row.call_id);
  if (!call) return { disposition: 'quarantine', reason: 'unknown_call' };
  if (call.callerLookup && p.isDoNotRecord?.(call.callerLookup)) return { disposition: 'quarantine', reason: 'do_not_record' };
  if (call.recording !== 'yes') return { disposition: 'quarantine', reason: 'no_consent' };
  const plausible = checkDuration(audio.audio, call, p.clock.now());
  if (!plausible.ok) return { disposition: 'quarantine', reason: plausible.reason, detail: plausible.detail };
  return { disposition: 'keep' };
}

/**
 * Takes the decision once (persisted: a retry keeps it) and writes `recording.quarantined`.
 * The decision is taken again on a retry only for the detail of the event, which the row lacks.
 */
export async function decideOnce(
  input: RowIn<'spooled'>,
  audio: AudioVerdict,
  p: Pick<StepPorts, 'evidence' | 'isDoNotRecord' | 'clock' | 'rows' | 'ledger' | 'settings' | 'log' | 'metrics'>,
): Promise<RowIn<'spooled'>> {
  let row = input;
  const decision = await decide(row, audio, p);
  if (row.disposition === null) {
    const key =
      decision.disposition === 'keep'
        ? recordingObjectKey({ callId: row.call_id!, recordingId: row.id, startedAt: row.started_at })
        : quarantineObjectKey({ recordingId: row.id, startedAt: row.started_at });
    row = await p.rows.patch(row, {
      disposition: decision.disposition,
      quarantine_reason: decision.disposition === 'quarantine' ? decision.reason : null,
      store: p.settings.storeInfo.store,
      object_key: key,
    });
    if (decision.disposition === 'quarantine') {
      p.metrics?.quarantined.inc();
      p.log.warn(
        { recordingId: row.id, callId: row.call_id, reason: decision.reason, ...(decision.detail ? { detail: decision.detail } : {}) },
        'recording quarantined: kept encrypted apart, deleted after the quarantine period',
      );
    } else if (audio.ok && audio.audio.dataBytes === 0) {
      p.log.info({ recordingId: row.id, callId: row.call_id }, 'empty recording (WAV header only, no audio): kept as the call\'s recording');
    }
  }
  if (row.disposition === 'quarantine') {
    const detail = decision.disposition === 'quarantine' && decision.reason === row.quarantine_reason ? decision.detail : undefined;
    await p.ledger.write('recording.quarantined', row, { reason: row.quarantine_reason, ...(detail ? { detail } : {}), quarantineDays: p.settings.quarantineDays }, true);
  }
  return row;
}

/**
 * The reconciliation itself, pure: Asterisk's records (CEL), the ledger and the stored recordings
 * of one window in, findings out. docs/auditor-guide.md ("Recording assurance") states the rules.
 */
import type { LedgerCall, LedgerEventFact } from '../evidence/assurance-ledger.js';
import type { CelRecord } from '../recordings/ami/cel.js';
import type { Finding } from './findings.js';

export interface CelRow extends CelRecord {
  readonly id: number;
  readonly receivedAt: string;
}

/** The columns of a `recordings` row assurance reads. */
export interface PipelineRow {
  readonly id: string;
  readonly callId: string | null;
  readonly source: string;
  readonly sourceName: string;
  readonly linkedid: string | null;
  readonly state: string;
  readonly disposition: 'keep' | 'quarantine' | null;
  readonly quarantineReason: string | null;
  readonly startedAt: string;
  readonly plaintextSha256: string | null;
  readonly objectKey: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ReconcileInput {
  readonly from: string;
  readonly to: string;
  /** Rows unfinished since before this instant are stuck. */
  readonly stuckBefore: string;
  /** The Stasis application's name: its APP_START is the call entering the consent flow. */
  readonly stasisApp: string;
  readonly cel: readonly CelRow[];
  /** Calls started in the window, plus the calls pipeline rows name (whenever they started). */
  readonly calls: readonly LedgerCall[];
  readonly unattached: readonly LedgerEventFact[];
  /** Rows whose recording started in the window, plus every unfinished row. */
  readonly rows: readonly PipelineRow[];
  /** Stored objects under the window's day prefixes that no pipeline row names (null: the store cannot list). */
  readonly strayObjects: readonly string[] | null;
  /** Object keys of stored, kept recordings that the store no longer has. */
  readonly missingObjects: readonly string[];
}

export interface ReconcileResult {
  readonly findings: Finding[];
  readonly coverage: {
    readonly asteriskEvents: number;
    readonly asteriskCalls: number;
    readonly ledgerCalls: number;
    /** Ledger calls in the window with no Asterisk record: CEL was off or the AMI link down for them. */
    readonly ledgerCallsWithoutAsteriskRecord: number;
    readonly recordings: number;
    readonly objectsListed: boolean;
  };
}

const UNFINISHED = new Set(['captured', 'spooled', 'encrypted', 'uploaded', 'verified']);
/** Ledger events that state why a consenting call has no recording (or why it no longer has one). */
const REASON_KINDS = new Set(['recording.start_failed', 'recording.deleted', 'retention.deleted', 'erasure.done']);
/** `recording.stopped` reasons that are an ordinary end, not a reason for having no recording. */
const ORDINARY_STOPS = new Set(['hangup', 'stopped']);

interface ChannelFacts {
  readonly uniqueid: string;
  readonly firstId: number;
  answered: boolean;
  stasisAt: { id: number; receivedAt: string } | null;
  mixMonitor: string[];
}

/** The channels of each Asterisk call (linkedid), in order of arrival. */
function groupCel(cel: readonly CelRow[], stasisApp: string): Map<string, Map<string, ChannelFacts>> {
  const calls = new Map<string, Map<string, ChannelFacts>>();
  for (const r of [...cel].sort((a, b) => a.id - b.id)) {
    let call = calls.get(r.linkedid);
    if (!call) calls.set(r.linkedid, (call = new Map()));
    let ch = call.get(r.uniqueid);
    if (!ch) call.set(r.uniqueid, (ch = { uniqueid: r.uniqueid, firstId: r.id, answered: false, stasisAt: null, mixMonitor: [] }));
    if (r.eventName === 'ANSWER') ch.answered = true;
    if (r.eventName === 'APP_START' && r.application.toLowerCase() === 'stasis' && r.appArg === stasisApp && !ch.stasisAt) ch.stasisAt = { id: r.id, receivedAt: r.receivedAt };
    if (r.eventName === 'APP_START' && r.application.toLowerCase() === 'mixmonitor') ch.mixMonitor.push(r.appArg);
  }
  return calls;
}

const inWindow = (at: string, i: Pick<ReconcileInput, 'from' | 'to'>) => at >= i.from && at < i.to;

export function reconcile(input: ReconcileInput): ReconcileResult {
  const findings: Finding[] = [];
  const cel = groupCel(input.cel, input.stasisApp);
  const linkedOf = new Map<string, string>();
  for (const [linkedid, chans] of cel) for (const id of chans.keys()) linkedOf.set(id, linkedid);

  const callsByChannel = new Map<string, LedgerCall[]>();
  const callsById = new Map<string, LedgerCall>();
  for (const c of input.calls) {
    callsById.set(c.callId, c);
    if (c.channelId) callsByChannel.set(c.channelId, [...(callsByChannel.get(c.channelId) ?? []), c]);
  }
  const rowsByCall = new Map<string, PipelineRow[]>();
  for (const r of input.rows) if (r.callId) rowsByCall.set(r.callId, [...(rowsByCall.get(r.callId) ?? []), r]);

  // 1. Asterisk says a call entered the consent flow: the ledger must have it.
  let asteriskCalls = 0;
  for (const [linkedid, chans] of cel) {
    for (const ch of chans.values()) {
      if (!ch.stasisAt) continue;
      asteriskCalls++;
      if (!inWindow(ch.stasisAt.receivedAt, input) || callsByChannel.has(ch.uniqueid)) continue;
      findings.push({ kind: 'call_without_evidence', subject: `channel:${ch.uniqueid}`, callId: null, recordingId: null, occurredAt: ch.stasisAt.receivedAt, detail: { uniqueid: ch.uniqueid, linkedid, source: 'asterisk' } });
    }
  }

  // 2. Each ledger call of the window against Asterisk's records and the recordings.
  let withoutAsterisk = 0;
  const ledgerCalls = input.calls.filter((c) => inWindow(c.startedAt, input));
  for (const call of ledgerCalls) {
    const linkedid = call.channelId ? linkedOf.get(call.channelId) : undefined;
    const chans = linkedid ? cel.get(linkedid) : undefined;
    if (!chans) withoutAsterisk++;
    const consent = chans?.get(call.channelId ?? '');
    const after = consent?.stasisAt?.id ?? consent?.firstId ?? Infinity;
    const agentAnswered = [...(chans?.values() ?? [])].some((c) => c.firstId > after && c.answered);
    const mixMonitor = [...(chans?.values() ?? [])].flatMap((c) => c.mixMonitor);
    const rows = rowsByCall.get(call.callId) ?? [];
    const kinds = new Set(call.events.map((e) => e.kind));
    const ledgerRecordingIds = [...new Set(call.events.filter((e) => e.kind.startsWith('recording.') && typeof e.data['recordingId'] === 'string').map((e) => e.data['recordingId'] as string))];
    const base = { callId: call.callId, occurredAt: call.startedAt };

    if (call.recording !== 'yes') {
      const sources = [...(mixMonitor.length ? ['asterisk'] : []), ...(rows.length ? ['pipeline'] : []), ...(kinds.has('recording.started') || kinds.has('recording.stored') ? ['ledger'] : [])];
      if (sources.length) {
        findings.push({ ...base, kind: 'recording_without_consent', subject: `call:${call.callId}`, recordingId: rows[0]?.id ?? ledgerRecordingIds[0] ?? null, detail: { consent: call.recording ?? 'none', sources, recordingIds: [...new Set([...rows.map((r) => r.id), ...ledgerRecordingIds])], quarantined: rows.some((r) => r.disposition === 'quarantine'), mixMonitorSeen: mixMonitor.length > 0 } });
      }
      continue;
    }
    if (call.outcome !== 'continued') continue;
    const kept = rows.filter((r) => r.disposition !== 'quarantine');
    const stored = kept.filter((r) => r.state === 'done' && !(r.objectKey && input.missingObjects.includes(r.objectKey)));
    const unfinished = kept.some((r) => UNFINISHED.has(r.state));
    const reason = call.events.find((e) => REASON_KINDS.has(e.kind) || (e.kind === 'recording.stopped' && typeof e.data['reason'] === 'string' && !ORDINARY_STOPS.has(e.data['reason'])));
    if (stored.length || unfinished || reason) continue;
    if (!agentAnswered && mixMonitor.length === 0 && rows.length === 0 && !kinds.has('recording.started')) continue;
    findings.push({
      ...base,
      kind: 'consented_call_not_recorded',
      subject: `call:${call.callId}`,
      recordingId: rows[0]?.id ?? ledgerRecordingIds[0] ?? null,
      detail: { agentAnswered, mixMonitorSeen: mixMonitor.length > 0, ledgerRecordingStarted: kinds.has('recording.started'), pipeline: rows.map((r) => ({ recordingId: r.id, state: r.state, lastError: r.lastError })), objectMissing: kept.some((r) => r.objectKey !== null && input.missingObjects.includes(r.objectKey)) },
    });
  }

  // 3. The pipeline's rows: unknown calls, calls without consent the ledger window missed, stuck rows.
  const reportedCalls = new Set(findings.filter((f) => f.kind === 'recording_without_consent').map((f) => f.callId));
  const reportedRecordings = new Set<string>();
  for (const r of input.rows) {
    if (UNFINISHED.has(r.state) && r.createdAt < input.stuckBefore) {
      findings.push({ kind: 'recording_stuck', subject: `recording:${r.id}`, callId: r.callId, recordingId: r.id, occurredAt: r.createdAt, detail: { state: r.state, since: r.updatedAt, attempts: r.attempts, lastError: r.lastError } });
    }
    if (!inWindow(r.startedAt, input)) continue;
    const call = r.callId ? callsById.get(r.callId) : undefined;
    if (call?.recording === 'yes' || (call && reportedCalls.has(call.callId))) continue;
    if (call && !inWindow(call.startedAt, input)) {
      reportedCalls.add(call.callId);
      findings.push({ kind: 'recording_without_consent', subject: `call:${call.callId}`, callId: call.callId, recordingId: r.id, occurredAt: r.startedAt, detail: { consent: call.recording ?? 'none', sources: ['pipeline'], recordingIds: [r.id], quarantined: r.disposition === 'quarantine', mixMonitorSeen: false } });
      continue;
    }
    if (call) continue;
    reportedRecordings.add(r.id);
    findings.push({ kind: 'recording_without_consent', subject: `recording:${r.id}`, callId: null, recordingId: r.id, occurredAt: r.startedAt, detail: { consent: 'none', sources: ['pipeline'], unknownCall: r.callId ?? true, quarantined: r.disposition === 'quarantine', quarantineReason: r.quarantineReason, state: r.state } });
  }
  for (const e of input.unattached) {
    const id = e.data['recordingId'];
    if (typeof id !== 'string' || reportedRecordings.has(id) || input.rows.some((r) => r.id === id)) continue;
    reportedRecordings.add(id);
    findings.push({ kind: 'recording_without_consent', subject: `recording:${id}`, callId: null, recordingId: id, occurredAt: e.at, detail: { consent: 'none', sources: ['ledger'], unknownCall: true, ledgerEvent: e.kind } });
  }
  for (const key of input.strayObjects ?? []) {
    findings.push({ kind: 'recording_without_consent', subject: `object:${key}`, callId: null, recordingId: null, occurredAt: input.from, detail: { objectKey: key, sources: ['store'], reason: 'no_pipeline_row' } });
  }

  // 4. Duplicates: a channel with two ledger calls; one audio file stored twice.
  for (const [channel, calls] of callsByChannel) {
    const inside = calls.filter((c) => inWindow(c.startedAt, input));
    if (calls.length > 1 && inside.length) findings.push({ kind: 'duplicate', subject: `channel:${channel}`, callId: inside[0]!.callId, recordingId: null, occurredAt: inside[0]!.startedAt, detail: { what: 'ledger_calls_for_one_channel', callIds: calls.map((c) => c.callId) } });
  }
  const bySha = new Map<string, PipelineRow[]>();
  for (const r of input.rows) if (r.plaintextSha256 && r.state !== 'failed' && inWindow(r.startedAt, input)) bySha.set(r.plaintextSha256, [...(bySha.get(r.plaintextSha256) ?? []), r]);
  for (const [sha, rows] of bySha) {
    if (rows.length < 2) continue;
    findings.push({ kind: 'duplicate', subject: `sha256:${sha}`, callId: rows[0]!.callId, recordingId: rows[0]!.id, occurredAt: rows[0]!.startedAt, detail: { what: 'same_audio_stored_twice', recordingIds: rows.map((r) => r.id), callIds: [...new Set(rows.map((r) => r.callId))] } });
  }

  return {
    findings,
    coverage: {
      asteriskEvents: input.cel.length,
      asteriskCalls,
      ledgerCalls: ledgerCalls.length,
      ledgerCallsWithoutAsteriskRecord: withoutAsterisk,
      recordings: input.rows.filter((r) => inWindow(r.startedAt, input)).length,
      objectsListed: input.strayObjects !== null,
    },
  };
}

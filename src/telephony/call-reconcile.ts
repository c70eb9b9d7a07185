import { ENDED_WHILE_SERVICE_DOWN, type OpenCall } from '../evidence/outcomes.js';
import type { EvidenceWriter } from '../evidence/store.js';
import type { CallSummary, StoredEvent } from '../evidence/types.js';
import type { Clock } from '../shared/clock.js';
import type { StepName } from './flow/types.js';

/** What the reconcile reads from the ledger (through the evidence module). */
export interface CallLedger {
  /** Calls of one Asterisk server with no outcome yet. */
  openCalls(server: string): Promise<OpenCall[]>;
  callEvents(callId: string): Promise<StoredEvent[]>;
  getCall(callId: string): Promise<CallSummary | null>;
}

export interface ReconcilePlan {
  /** Open calls whose channel is still in Stasis and that no session of this process runs. */
  readonly resume: OpenCall[];
  /** Open calls whose channel is gone: they ended while nobody watched. */
  readonly gone: OpenCall[];
}

/**
 * Matches the ledger's open calls of this server with the channels Asterisk still holds in the
 * app. Calls run by a live session here are left to it, and so are the channels such sessions hold. Of several open calls naming one held
 * channel only the newest is resumed; the older ones are stale and close as gone.
 */
export function planReconcile(
  open: readonly OpenCall[],
  held: ReadonlySet<string>,
  live: { readonly callIds: ReadonlySet<string>; readonly channelIds: ReadonlySet<string> },
): ReconcilePlan {
  const liveCallIds = live.callIds;
  const newestByChannel = new Map<string, OpenCall>();
  for (const call of open) {
    if (liveCallIds.has(call.callId) || !held.has(call.channelId) || live.channelIds.has(call.channelId)) continue;
    const seen = newestByChannel.get(call.channelId);
    if (!seen || seen.startedAt <= call.startedAt) newestByChannel.set(call.channelId, call);
  }
  const resume = [...newestByChannel.values()];
  const resumed = new Set(resume.map((c) => c.callId));
  const gone = open.filter((c) => !liveCallIds.has(c.callId) && !resumed.has(c.callId));
  return { resume, gone };
}

/**
 * Where a call stood when its service died, as far as the ledger tells: the step of its last
 * recorded prompt (the flow's first prompting step when none was recorded yet) and the playback
 * that may still be playing.
 */
export interface CallPosition {
  readonly step: StepName;
  /** Playback ids are `<callId>-<n>` and a prompt is recorded once it ends, so the next n may be playing. */
  readonly playbackId: string;
}

export function callPosition(callId: string, events: readonly StoredEvent[], firstStep: StepName): CallPosition {
  let step = firstStep;
  let last = 0;
  for (const e of events) {
    if (e.kind !== 'prompt.played') continue;
    if (typeof e.data.step === 'string') step = e.data.step as StepName;
    const n = Number(/-(\d+)$/.exec(String(e.data.playbackId ?? ''))?.[1] ?? 0);
    if (n > last) last = n;
  }
  return { step, playbackId: `${callId}-${last + 1}` };
}

/**
 * Closes an open call whose channel is gone, unless it got its outcome meanwhile (a session of
 * this process commits the outcome before it lets go of the call). The caller hung up while no
 * service watched: `call.abandoned` with reason `ended_while_service_down`, unrecorded.
 */
export async function closeGoneCall(
  d: { readonly ledger: CallLedger; readonly evidence: EvidenceWriter; readonly clock: Clock },
  call: OpenCall,
): Promise<boolean> {
  const now = await d.ledger.getCall(call.callId);
  if (!now || now.outcome !== null) return false;
  const endedAt = new Date(d.clock.now()).toISOString();
  await d.evidence.append(
    { callId: call.callId, kind: 'call.abandoned', data: { step: 'unknown', reason: ENDED_WHILE_SERVICE_DOWN, recording: 'no', channelId: call.channelId } },
    { callPatch: { outcome: 'abandoned', recording: 'no', endedAt } },
  );
  return true;
}

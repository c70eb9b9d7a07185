/**
 * The paused intervals of a call's recording, read from its ledger events (pure): each
 * `recording.paused` opens one (a `stillPaused` repeat does not), and it ends with the
 * `recording.resumed`, the stop for the rest of the call, or the recording's own end (the
 * pipeline's `recording.stopped` with a `recordingId`: a hang-up while paused).
 */
import type { StoredEvent } from '../../evidence/types.js';

export interface PausedInterval {
  readonly from: string;
  /** Null while the pause goes on. */
  readonly to: string | null;
  readonly endedBy: 'resumed' | 'max_pause_resumed' | 'stopped' | 'recording_ended' | null;
}

type Ev = Pick<StoredEvent, 'kind' | 'at' | 'data'>;

export function pausedIntervals(events: readonly Ev[]): PausedInterval[] {
  const out: PausedInterval[] = [];
  let open: string | null = null;
  const close = (at: string, endedBy: PausedInterval['endedBy']) => {
    if (open === null) return;
    out.push({ from: open, to: at, endedBy });
    open = null;
  };
  for (const e of events) {
    if (e.kind === 'recording.paused' && e.data['stillPaused'] !== true && open === null) open = e.at;
    else if (e.kind === 'recording.resumed') close(e.at, e.data['reason'] === 'max_pause_reached' ? 'max_pause_resumed' : 'resumed');
    else if (e.kind === 'recording.stopped') close(e.at, e.data['restOfCall'] === true ? 'stopped' : 'recording_ended');
  }
  if (open !== null) out.push({ from: open, to: null, endedBy: null });
  return out;
}

/**
 * The intervals as seen in one recording: clipped to its start and stop, with offsets in
 * seconds from its start (where a player seeks to).
 */
export function intervalsInRecording(intervals: readonly PausedInterval[], startedAt: string | null, stoppedAt: string | null) {
  const start = startedAt ? Date.parse(startedAt) : null;
  const stop = stoppedAt ? Date.parse(stoppedAt) : null;
  const out: Array<PausedInterval & { fromSecond: number | null; toSecond: number | null }> = [];
  for (const i of intervals) {
    const from = Date.parse(i.from);
    const to = i.to === null ? null : Date.parse(i.to);
    if (stop !== null && from >= stop) continue;
    if (start !== null && to !== null && to <= start) continue;
    const sec = (t: number | null) => (start === null || t === null ? null : Math.max(0, (t - start) / 1000));
    const clippedTo = to === null ? stop : stop === null ? to : Math.min(to, stop);
    out.push({ ...i, fromSecond: sec(from), toSecond: sec(clippedTo) });
  }
  return out;
}

/**
 * Pause, resume and stop a call's recording over AMI (issue 23). Fail closed: a pause whose mute
 * Asterisk does not confirm within `confirmTimeoutMs` stops the recording for the rest of the call.
 *
 * Ledger (each with the asker, pseudonymous): `recording.paused` once the mute is confirmed on every
 * channel recording the call; `recording.resumed` once the unmute is; `recording.stopped` with
 * `restOfCall: true` when the recording is stopped for good (the pipeline's own `recording.stopped`,
 * with a `recordingId`, says when each file closed). A pause that outlasts `maxPauseMs` is resumed
 * (`recording.resumed`, reason `max_pause_reached`) or stays paused (`recording.paused` again with
 * `stillPaused: true`), per `onMaxPause`.
 *
 * State is kept in memory: after a restart a muted recording stays muted (the flag lives in
 * Asterisk) until resumed; the maximum pause is then not applied.
 */
import type { EvidenceStore } from '../../evidence/store.js';
import type { JsonValue } from '../../evidence/types.js';
import { isoAt, systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { ActiveRecording, RecordingStarted, RecordingStopped } from '../ami/index.js';
import { ChannelActions, type ControlWatcher } from './channel-actions.js';
import type { ControlOutcome, ControlState, RecordingControlOptions, RecordingController, Requester } from './port.js';

export interface RecordingControlDeps {
  readonly watcher: ControlWatcher;
  readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
  readonly log: Logger;
  /** A valid ledger call id from CONSENT_ID, or null. */
  readonly callIdOf: (consentId: string | undefined) => string | null;
  readonly options: RecordingControlOptions;
  readonly clock?: Clock;
}

interface Paused {
  readonly since: number;
  readonly timer: NodeJS.Timeout;
}

/** Calls remembered as stopped for the rest of the call: the oldest are forgotten past this. */
const REMEMBERED = 10_000;

const asJson = (by: Requester): JsonValue => ({ ...by });

export class RecordingControl implements RecordingController {
  readonly #d: RecordingControlDeps;
  readonly #o: RecordingControlOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #ami: ChannelActions;
  readonly #paused = new Map<string, Paused>();
  readonly #stopped = new Set<string>();
  readonly #turns = new Map<string, Promise<unknown>>();
  readonly #unsubscribe: (() => void)[];
  #closed = false;

  constructor(deps: RecordingControlDeps) {
    this.#d = deps;
    this.#o = deps.options;
    this.#log = deps.log.child({ component: 'recording-control' });
    this.#clock = deps.clock ?? systemClock;
    this.#ami = new ChannelActions(deps.watcher);
    this.#unsubscribe = [
      deps.watcher.on('recordingStarted', (e) => void this.#onStarted(e)),
      deps.watcher.on('recordingStopped', (e) => this.#onEnded(e)),
    ];
  }

  /** The call's recording state as this instance knows it. */
  stateOf(callId: string): ControlState | null {
    if (this.#stopped.has(callId)) return 'stopped';
    if (this.#paused.has(callId)) return 'paused';
    return this.#recordingsOf(callId).length > 0 ? 'recording' : null;
  }

  pause(callId: string, by: Requester, reason?: string): Promise<ControlOutcome> {
    return this.#serial(callId, async () => {
      if (!(await this.#d.evidence.getCall(callId))) return { status: 'unknown_call' };
      if (this.#stopped.has(callId)) return this.#done('stopped', false);
      if (this.#paused.has(callId)) return this.#done('paused', false);
      const recs = this.#recordingsOf(callId);
      if (recs.length === 0) return { status: 'not_recording' };
      const requestedAt = isoAt(this.#clock);
      const failures = await this.#muteAll(recs, true);
      if (failures.length > 0) return this.#failClosed(callId, recs, by, 'mute_not_confirmed', failures.join('; '));
      const ev = await this.#d.evidence.append({
        callId,
        kind: 'recording.paused',
        data: {
          requestedAt,
          by: asJson(by),
          ...(reason ? { reason } : {}),
          uniqueids: recs.map((r) => r.uniqueid),
          maxPauseSeconds: this.#o.maxPauseMs / 1000,
          onMaxPause: this.#o.onMaxPause,
        },
      });
      this.#startPause(callId);
      this.#log.info({ callId, by: by.source, channels: recs.length }, 'recording paused: MixMonitor muted and confirmed');
      return { status: 'done', state: 'paused', changed: true, at: ev.at };
    });
  }

  resume(callId: string, by: Requester): Promise<ControlOutcome> {
    return this.#serial(callId, () => this.#resume(callId, by, null));
  }

  stopRecordingForRestOfCall(callId: string, reason: string, by: Requester = { source: 'service', via: reason }): Promise<ControlOutcome> {
    return this.#serial(callId, async () => {
      if (!(await this.#d.evidence.getCall(callId))) return { status: 'unknown_call' };
      if (this.#stopped.has(callId)) return this.#done('stopped', false);
      return this.#failClosed(callId, this.#recordingsOf(callId), by, reason, null);
    });
  }

  /** Stops the timers and listeners; recordings stay as they are in Asterisk. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const p of this.#paused.values()) clearTimeout(p.timer);
    this.#paused.clear();
    await Promise.allSettled([...this.#turns.values()]);
    this.#ami.close();
  }

  async #resume(callId: string, by: Requester, limit: 'max_pause_reached' | null): Promise<ControlOutcome> {
    if (!(await this.#d.evidence.getCall(callId))) return { status: 'unknown_call' };
    if (this.#stopped.has(callId)) return { status: 'recording_stopped' };
    const paused = this.#paused.get(callId);
    if (!paused) return this.#recordingsOf(callId).length > 0 ? this.#done('recording', false) : { status: 'not_recording' };
    const recs = this.#recordingsOf(callId);
    if (recs.length === 0) {
      this.#endPause(callId);
      return { status: 'not_recording' };
    }
    const requestedAt = isoAt(this.#clock);
    const failures = await this.#muteAll(recs, false);
    if (failures.length > 0) {
      // Still muted (or partly): paused is the closed side, so it stays paused and says so.
      this.#log.error({ callId, failures }, 'resume not confirmed: the recording stays paused');
      return { status: 'failed', detail: `unmute not confirmed: ${failures.join('; ')}` };
    }
    this.#endPause(callId);
    const ev = await this.#d.evidence.append({
      callId,
      kind: 'recording.resumed',
      data: { requestedAt, by: asJson(by), pausedSeconds: (this.#clock.now() - paused.since) / 1000, ...(limit ? { reason: limit } : {}) },
    });
    this.#log.info({ callId, by: by.source, reason: limit ?? undefined }, 'recording resumed: MixMonitor unmuted and confirmed');
    return { status: 'done', state: 'recording', changed: true, at: ev.at };
  }

  /** Fail closed: StopMixMonitor on every channel recording the call, for the rest of the call. */
  async #failClosed(callId: string, recs: readonly ActiveRecording[], by: Requester, reason: string, detail: string | null): Promise<ControlOutcome> {
    this.#stopped.add(callId);
    if (this.#stopped.size > REMEMBERED) this.#stopped.delete(this.#stopped.values().next().value!);
    this.#endPause(callId);
    const results = await Promise.all(recs.map((r) => this.#ami.stop(r.channel, this.#o.confirmTimeoutMs)));
    const unconfirmed = results.filter((r): r is string => r !== null);
    const ev = await this.#d.evidence.append({
      callId,
      kind: 'recording.stopped',
      data: {
        restOfCall: true,
        reason,
        by: asJson(by),
        ...(detail ? { detail } : {}),
        uniqueids: recs.map((r) => r.uniqueid),
        stopConfirmed: unconfirmed.length === 0,
      },
    });
    if (unconfirmed.length > 0) {
      this.#log.error({ callId, reason, detail, unconfirmed }, 'recording could be neither paused nor stopped: treat the call as recorded');
      return { status: 'failed', detail: `${detail ? `${detail}; ` : ''}StopMixMonitor not confirmed: ${unconfirmed.join('; ')}` };
    }
    this.#log.warn({ callId, reason, detail, channels: recs.length }, 'recording stopped for the rest of the call');
    return { status: 'done', state: 'stopped', changed: true, at: ev.at };
  }

  async #muteAll(recs: readonly ActiveRecording[], muted: boolean): Promise<string[]> {
    const results = await Promise.all(recs.map((r) => this.#ami.mute(r.channel, r.uniqueid, muted, this.#o.confirmTimeoutMs)));
    return results.flatMap((r, i) => (r === null ? [] : [`${recs[i]!.uniqueid}: ${r}`]));
  }

  #startPause(callId: string): void {
    const timer = setTimeout(() => void this.#serial(callId, () => this.#maxPause(callId)).catch((err: unknown) => this.#log.error({ err, callId }, 'maximum pause could not be handled')), this.#o.maxPauseMs);
    timer.unref();
    this.#paused.set(callId, { since: this.#clock.now(), timer });
  }

  #endPause(callId: string): void {
    const p = this.#paused.get(callId);
    if (p) clearTimeout(p.timer);
    this.#paused.delete(callId);
  }

  async #maxPause(callId: string): Promise<ControlOutcome | null> {
    const paused = this.#paused.get(callId);
    if (!paused || this.#closed) return null;
    const seconds = this.#o.maxPauseMs / 1000;
    if (this.#o.onMaxPause === 'resume') {
      this.#log.warn({ callId, maxPauseSeconds: seconds }, 'pause reached its maximum: resuming the recording (recordings.control.onMaxPause: resume)');
      return this.#resume(callId, { source: 'service', via: 'max_pause' }, 'max_pause_reached');
    }
    this.#log.warn({ callId, maxPauseSeconds: seconds }, 'pause reached its maximum: the recording stays paused (recordings.control.onMaxPause: stay_paused)');
    const ev = await this.#d.evidence.append({
      callId,
      kind: 'recording.paused',
      data: { stillPaused: true, reason: 'max_pause_reached', by: { source: 'service', via: 'max_pause' }, pausedSince: new Date(paused.since).toISOString(), maxPauseSeconds: seconds, onMaxPause: 'stay_paused' },
    });
    return { status: 'done', state: 'paused', changed: false, at: ev.at };
  }

  /** A recording that starts on a call stopped for good is stopped at once; on a paused call it is muted. */
  async #onStarted(e: RecordingStarted): Promise<void> {
    if (this.#stopped.size === 0 && this.#paused.size === 0) return;
    let consentId = e.consentId;
    if (consentId === undefined) {
      const r = await this.#d.watcher.getVar(e.channel, 'CONSENT_ID');
      if (r.status === 'ok' && r.value !== '') consentId = r.value;
    }
    const callId = this.#d.callIdOf(consentId);
    if (!callId || (!this.#stopped.has(callId) && !this.#paused.has(callId))) return;
    await this.#serial(callId, async () => {
      const rec: ActiveRecording = { channel: e.channel, uniqueid: e.uniqueid, linkedid: e.linkedid };
      if (this.#stopped.has(callId)) {
        const failure = await this.#ami.stop(e.channel, this.#o.confirmTimeoutMs);
        this.#log.warn({ callId, uniqueid: e.uniqueid, failure }, 'a recording started on a call stopped for the rest of the call: stopped it');
        return null;
      }
      const failures = await this.#muteAll([rec], true);
      if (failures.length > 0) return this.#failClosed(callId, [...this.#recordingsOf(callId), rec], { source: 'service', via: 'pause' }, 'mute_not_confirmed', failures.join('; '));
      this.#log.info({ callId, uniqueid: e.uniqueid }, 'a recording started on a paused call: muted it');
      return null;
    }).catch((err: unknown) => this.#log.error({ err, callId }, 'recording started on a controlled call could not be handled'));
  }

  /** A call hung up (or its MixMonitor stopped): a pause open then ends with the recording. */
  #onEnded(e: RecordingStopped): void {
    const callId = this.#d.callIdOf(e.consentId);
    if (!callId || !this.#paused.has(callId)) return;
    if (this.#recordingsOf(callId).some((r) => r.uniqueid !== e.uniqueid)) return;
    this.#endPause(callId);
    this.#log.info({ callId, reason: e.reason }, 'recording ended while paused: the pause lasts to its end');
  }

  #recordingsOf(callId: string): ActiveRecording[] {
    return this.#d.watcher.activeRecordings().filter((r) => this.#d.callIdOf(r.consentId) === callId);
  }

  #done(state: ControlState, changed: boolean): ControlOutcome {
    return { status: 'done', state, changed, at: isoAt(this.#clock) };
  }

  /** One control action per call at a time, in order. */
  #serial<T>(callId: string, fn: () => Promise<T>): Promise<T> {
    const turn = (this.#turns.get(callId) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.#turns.set(callId, turn);
    void turn.finally(() => {
      if (this.#turns.get(callId) === turn) this.#turns.delete(callId);
    }).catch(() => undefined);
    return turn;
  }
}

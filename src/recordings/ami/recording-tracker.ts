/**
 * Recording tracking: a state machine per channel (idle → recording → ended, with the file name
 * and consent variables it has seen), fed with typed AMI messages (protocol.ts), emitting the
 * domain events of events.ts. Knows nothing of sessions: questions to Asterisk go through `getVar`.
 */
import type { Logger } from '../../shared/log.js';
import type { AmiWatcherEventName, AmiWatcherEvents } from './events.js';
import { FILENAME_VAR, type AmiMessage, type ChannelRef, type GetVarOutcome } from './protocol.js';

export interface ActiveRecording {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly consentId?: string;
  readonly file?: string;
}

export interface TrackerPorts {
  readonly log: Logger;
  emit<K extends AmiWatcherEventName>(event: K, payload: AmiWatcherEvents[K]): void;
  /** AMI `Getvar` on the current session. */
  getVar(channel: string, name: string): Promise<GetVarOutcome>;
}

interface ChannelTrack {
  channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly consent: Map<string, string>;
  file: string | undefined;
  recording: boolean;
}

interface CallTrack {
  readonly consent: Map<string, string>;
  readonly channels: Set<string>;
}

/** Read again after a reconnect, in this order: the call id first, then the decision. */
const RECONCILED_VARS = ['CONSENT_ID', 'CONSENT_RECORDING'] as const;

export class RecordingTracker {
  readonly #channels = new Map<string, ChannelTrack>();
  readonly #calls = new Map<string, CallTrack>();
  readonly #p: TrackerPorts;

  constructor(ports: TrackerPorts) {
    this.#p = ports;
  }

  handle(m: AmiMessage): void {
    switch (m.kind) {
      case 'fileName': {
        const t = this.#track(m.ref);
        const changed = t.file !== m.path;
        t.file = m.path;
        // Normally this precedes MixMonitorStart and rides on recordingStarted; late or changed names go out now.
        if (t.recording && changed) this.#fileKnown(t);
        return;
      }
      case 'consentVar': {
        const t = this.#track(m.ref);
        this.#setConsent(t, m.name, m.value);
        return;
      }
      case 'monitorStart':
        this.#started(this.#track(m.ref));
        return;
      case 'monitorStop': {
        const t = this.#channels.get(m.uniqueid);
        if (t?.recording) this.#end(t, 'stopped');
        return;
      }
      case 'hangup': {
        const t = this.#channels.get(m.uniqueid);
        if (!t) return;
        if (t.recording) this.#end(t, 'hangup');
        this.#forget(t);
        return;
      }
      case 'mute':
        this.#p.emit('mixMonitorMuted', { channel: m.ref.channel ?? '', uniqueid: m.ref.uniqueid, linkedid: m.ref.linkedid, muted: m.muted, direction: m.direction });
        return;
      case 'control': {
        // The channel that asked (an agent's, a payment IVR's) shares the call's linkedid.
        const consentId = this.#calls.get(m.ref.linkedid)?.consent.get('CONSENT_ID') ?? this.#channels.get(m.ref.uniqueid)?.consent.get('CONSENT_ID');
        const { uniqueid, linkedid } = m.ref;
        this.#p.emit('recordingControl', { channel: m.ref.channel ?? '', uniqueid, linkedid, action: m.action, source: m.source, ...(consentId !== undefined ? { consentId } : {}) });
        return;
      }
      case 'joiner': {
        const { uniqueid, linkedid } = m.ref;
        const { consentId: given, ...f } = m.fields;
        const consentId = given || this.#calls.get(linkedid)?.consent.get('CONSENT_ID');
        this.#p.emit('joiner', { channel: m.ref.channel ?? '', uniqueid, linkedid, ...f, ...(consentId ? { consentId } : {}) });
        return;
      }
      case 'bridge':
        this.#p.emit('bridge', { channel: m.ref.channel ?? '', uniqueid: m.ref.uniqueid, linkedid: m.ref.linkedid, bridgeId: m.bridgeId, entered: m.entered });
        return;
    }
  }

  /** Recordings started and not yet ended. */
  active(): ActiveRecording[] {
    const out: ActiveRecording[] = [];
    for (const t of this.#channels.values()) {
      if (!t.recording) continue;
      const consentId = this.#consentOf(t, 'CONSENT_ID');
      out.push({
        channel: t.channel,
        uniqueid: t.uniqueid,
        linkedid: t.linkedid,
        ...(consentId !== undefined ? { consentId } : {}),
        ...(t.file !== undefined ? { file: t.file } : {}),
      });
    }
    return out;
  }

  countRecording(): number {
    let n = 0;
    for (const t of this.#channels.values()) if (t.recording) n++;
    return n;
  }

  /**
   * Events sent while AMI was down are lost and not replayed. For each channel still tracked, ask
   * Asterisk whether it is still there; a gone channel with an active recording has hung up,
   * so its file is closed. `ask` is bound to the new session; `current` turns false once it is lost.
   */
  async reconcile(ask: (channel: string, variable: string) => Promise<GetVarOutcome>, current: () => boolean): Promise<void> {
    const tracked = [...this.#channels.values()];
    let ended = 0;
    for (const t of tracked) {
      if (!current()) return;
      const r = await ask(t.channel, 'UNIQUEID');
      if (r.status === 'not-connected' || r.status === 'timeout') return;
      const gone = r.status === 'error' || r.value !== t.uniqueid;
      if (gone) {
        if (t.recording) {
          ended++;
          this.#end(t, 'hangup', true);
        }
        this.#forget(t);
      } else {
        if (t.recording && t.file === undefined) void this.#lookUpFile(t);
        await this.#rereadConsent(ask, current, t);
      }
    }
    this.#p.log.info({ tracked: tracked.length, endedWhileDown: ended }, 'AMI state reconciled after reconnect');
  }

  /**
   * Consent variables set while AMI was down (capture mode `ami` starts MixMonitor on them): read
   * them again on a channel that is still up, and report those that changed.
   */
  async #rereadConsent(ask: (channel: string, variable: string) => Promise<GetVarOutcome>, current: () => boolean, t: ChannelTrack): Promise<void> {
    for (const name of RECONCILED_VARS) {
      if (!current()) return;
      const r = await ask(t.channel, name);
      if (r.status !== 'ok') continue;
      if (r.value === '' || this.#consentOf(t, name) === r.value) continue;
      this.#setConsent(t, name, r.value);
    }
  }

  #setConsent(t: ChannelTrack, name: string, value: string): void {
    t.consent.set(name, value);
    this.#calls.get(t.linkedid)?.consent.set(name, value);
    this.#p.emit('consentVar', { channel: t.channel, uniqueid: t.uniqueid, linkedid: t.linkedid, name, value });
  }

  #started(t: ChannelTrack): void {
    const log = this.#p.log;
    if (t.recording) {
      log.debug({ linkedid: t.linkedid, uniqueid: t.uniqueid }, 'duplicate MixMonitorStart ignored');
      return;
    }
    t.recording = true;
    const consentId = this.#consentOf(t, 'CONSENT_ID');
    const consentRecording = this.#consentOf(t, 'CONSENT_RECORDING');
    if (consentId === undefined || consentRecording === undefined) void this.#askConsentThenLog(t);
    else this.#logStart(t);
    this.#p.emit('recordingStarted', {
      channel: t.channel,
      uniqueid: t.uniqueid,
      linkedid: t.linkedid,
      ...(consentId !== undefined ? { consentId } : {}),
      ...(consentRecording !== undefined ? { consentRecording } : {}),
      ...(t.file !== undefined ? { file: t.file } : {}),
    });
    if (t.file !== undefined) this.#fileKnown(t);
    else void this.#lookUpFile(t);
  }

  #logStart(t: ChannelTrack, unreadable?: string): void {
    const fields = { linkedid: t.linkedid, uniqueid: t.uniqueid, consentId: this.#consentOf(t, 'CONSENT_ID'), fileKnown: t.file !== undefined };
    if (unreadable !== undefined) this.#p.log.warn({ ...fields, reason: unreadable }, 'recording started; its CONSENT_RECORDING could not be read');
    else if (this.#consentOf(t, 'CONSENT_RECORDING') !== 'yes') this.#p.log.warn(fields, 'recording started without CONSENT_RECORDING=yes on the call');
    else this.#p.log.info(fields, 'recording started');
  }

  /**
   * The consent VarSets were not seen (manager.conf's event filters hide them, or they fell in an
   * AMI outage): read them from the channel before judging the start. Kept, not re-emitted: the
   * recording has started already, so nothing is to be started on them.
   */
  async #askConsentThenLog(t: ChannelTrack): Promise<void> {
    for (const name of RECONCILED_VARS) {
      if (this.#consentOf(t, name) !== undefined) continue;
      const r = await this.#p.getVar(t.channel, name);
      if (r.status === 'not-connected' || r.status === 'timeout') return this.#logStart(t, r.status);
      if (r.status !== 'ok' || r.value === '') continue;
      t.consent.set(name, r.value);
      this.#calls.get(t.linkedid)?.consent.set(name, r.value);
    }
    this.#logStart(t);
  }

  #end(t: ChannelTrack, reason: 'stopped' | 'hangup', recovered = false): void {
    t.recording = false;
    const consentId = this.#consentOf(t, 'CONSENT_ID');
    this.#p.log.info({ linkedid: t.linkedid, uniqueid: t.uniqueid, reason, recovered }, 'recording ended');
    this.#p.emit('recordingStopped', {
      channel: t.channel,
      uniqueid: t.uniqueid,
      linkedid: t.linkedid,
      reason,
      ...(consentId !== undefined ? { consentId } : {}),
      ...(t.file !== undefined ? { file: t.file } : {}),
      ...(recovered ? { recovered } : {}),
    });
    t.file = undefined;
  }

  #fileKnown(t: ChannelTrack): void {
    if (t.file === undefined) return;
    this.#p.emit('recordingFileKnown', { channel: t.channel, uniqueid: t.uniqueid, linkedid: t.linkedid, path: t.file });
  }

  /** The start was seen but not the VarSet before it (e.g. it fell in an AMI outage): ask. */
  async #lookUpFile(t: ChannelTrack): Promise<void> {
    const r = await this.#p.getVar(t.channel, FILENAME_VAR);
    if (r.status !== 'ok' || r.value === '') return;
    if (!t.recording || t.file !== undefined || this.#channels.get(t.uniqueid) !== t) return;
    t.file = r.value;
    this.#fileKnown(t);
  }

  #track(ref: ChannelRef): ChannelTrack {
    const existing = this.#channels.get(ref.uniqueid);
    if (existing) {
      if (ref.channel) existing.channel = ref.channel;
      return existing;
    }
    const t: ChannelTrack = { channel: ref.channel ?? '', uniqueid: ref.uniqueid, linkedid: ref.linkedid, consent: new Map(), file: undefined, recording: false };
    this.#channels.set(ref.uniqueid, t);
    let call = this.#calls.get(ref.linkedid);
    if (!call) {
      call = { consent: new Map(), channels: new Set() };
      this.#calls.set(ref.linkedid, call);
    }
    call.channels.add(ref.uniqueid);
    return t;
  }

  #forget(t: ChannelTrack): void {
    this.#channels.delete(t.uniqueid);
    const call = this.#calls.get(t.linkedid);
    if (!call) return;
    call.channels.delete(t.uniqueid);
    if (call.channels.size === 0) this.#calls.delete(t.linkedid);
  }

  #consentOf(t: ChannelTrack, name: string): string | undefined {
    return t.consent.get(name) ?? this.#calls.get(t.linkedid)?.consent.get(name);
  }
}

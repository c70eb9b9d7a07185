/**
 * The emulated Asterisk: channels, playbacks and recordings with the state rules and
 * event order observed on Asterisk 22. No sockets here; events leave through a sink.
 */
import { randomUUID } from 'node:crypto';
import { ScriptRunner, type CallerScript } from './script.js';
import { toneWav, type StoredRecording } from './recordings.js';
import {
  asteriskTime,
  preciseNow,
  type CallerId,
  type ChannelJson,
  type DialplanLocation,
  type LiveRecordingJson,
  type PlaybackJson,
  type PlaybackState,
} from './shapes.js';

/** An ARI error answer: `{ message }` with an HTTP status. */
export class AriHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface DialplanTarget {
  readonly context: string;
  readonly extension: string;
  readonly priority: number;
}

/** How a call left the application. */
export type CallOutcome =
  | {
      readonly kind: 'continued';
      readonly target: DialplanTarget;
      /** The context did not exist: Asterisk answered 204 and then hung the caller up. */
      readonly dropped: boolean;
    }
  | { readonly kind: 'hungup'; readonly by: 'caller' | 'app'; readonly cause: number }
  /** No WebSocket for the app was open when the dialplan reached Stasis(): STASISSTATUS=FAILED. */
  | { readonly kind: 'not-in-stasis' };

export interface PbxOptions {
  readonly asteriskId: string;
  /** Playback length per media (`sound:notice` or `notice`), in ms. */
  readonly playbackMs: ReadonlyMap<string, number>;
  readonly defaultPlaybackMs: number;
  /** When set, `sound:` media outside this set (and outside playbackMs) fail like a missing file. */
  readonly knownSounds: ReadonlySet<string> | null;
  /** When set, continuing into any other context drops the call. */
  readonly knownContexts: ReadonlySet<string> | null;
  /** Real milliseconds per recorded second (1000 = real time). */
  readonly recordingMsPerSecond: number;
  /** Variable and continue requests wait for the playing prompt, as on Asterisk's control queue. */
  readonly controlQueue?: boolean;
}

export type EventSink = (app: string, event: Record<string, unknown>, channel: Channel | null) => void;

type Where = 'stasis' | 'dialplan' | 'gone';

export class Playback {
  state: PlaybackState = 'queued';
  index = 0;
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly id: string,
    readonly media: readonly string[],
    readonly language: string,
    readonly channel: Channel,
  ) {}

  json(): PlaybackJson {
    const next = this.media[this.index + 1];
    return {
      id: this.id,
      media_uri: this.media[this.index] ?? '',
      ...(next !== undefined ? { next_media_uri: next } : {}),
      target_uri: `channel:${this.channel.id}`,
      language: this.language,
      state: this.state,
    };
  }
}

export class LiveRecording {
  state: LiveRecordingJson['state'] = 'queued';
  startedAt = 0;
  duration: number | undefined;
  timer: NodeJS.Timeout | null = null;
  constructor(
    readonly name: string,
    readonly format: string,
    readonly channel: Channel,
  ) {}

  json(): LiveRecordingJson {
    return {
      name: this.name,
      format: this.format,
      state: this.state,
      target_uri: `channel:${this.channel.id}`,
      ...(this.duration !== undefined ? { duration: this.duration } : {}),
    };
  }
}

export class Channel {
  state: string;
  dialplan: DialplanLocation;
  where: Where = 'dialplan';
  app: string | null = null;
  args: readonly string[] = [];
  readonly vars = new Map<string, string>();
  continuedTo: DialplanTarget | null = null;
  hungUp = false;
  peer: Channel | null = null;
  current: Playback | null = null;
  readonly queue: Playback[] = [];
  recording: LiveRecording | null = null;
  script: ScriptRunner | null = null;
  /** Epoch ms (fractional) the StasisStart event was handed to the socket(s). */
  stasisStartAt: number | null = null;
  /** Epoch ms the first play request for this channel arrived. */
  firstPlayAt: number | null = null;
  /** Epoch ms the caller's last key press was handed to the socket(s). */
  lastDtmfAt: number | null = null;
  /** Epoch ms the continue request arrived (the call left Stasis for the dialplan). */
  continuedAt: number | null = null;
  outcome: CallOutcome | null = null;
  /** Commands waiting on the control queue for the playbacks to end. */
  readonly idle: Array<() => void> = [];
  readonly #settled: Array<(o: CallOutcome) => void> = [];

  constructor(
    readonly id: string,
    readonly name: string,
    readonly caller: CallerId,
    readonly language: string,
    dialplan: DialplanLocation,
    state: string,
    readonly creationtime: string,
  ) {
    this.dialplan = dialplan;
    this.state = state;
  }

  json(): ChannelJson {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      protocol_id: '',
      caller: { ...this.caller },
      connected: { ...this.caller },
      accountcode: '',
      dialplan: { ...this.dialplan },
      creationtime: this.creationtime,
      language: this.language,
    };
  }

  /** Resolves when the call leaves the application (or never entered it). */
  settled(): Promise<CallOutcome> {
    if (this.outcome) return Promise.resolve(this.outcome);
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  settle(outcome: CallOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    for (const r of this.#settled.splice(0)) r(outcome);
  }
}

export interface NewChannel {
  readonly id?: string;
  readonly name: string;
  readonly caller: CallerId;
  readonly language?: string;
  readonly context: string;
  readonly exten: string;
  readonly priority?: number;
  readonly state?: string;
}

const CAUSE_BY_REASON: Readonly<Record<string, number>> = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 19,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
};

export class Pbx {
  readonly channels = new Map<string, Channel>();
  readonly playbacks = new Map<string, Playback>();
  readonly liveRecordings = new Map<string, LiveRecording>();
  readonly stored = new Map<string, StoredRecording>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #seq = 0;

  constructor(
    readonly options: PbxOptions,
    private readonly sink: EventSink,
    private readonly appActive: (app: string) => boolean,
  ) {}

  schedule(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | null): void {
    if (!t) return;
    clearTimeout(t);
    this.#timers.delete(t);
  }

  shutdown(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  createChannel(spec: NewChannel): Channel {
    const seq = this.nextSeq();
    const id = spec.id ?? `${Math.floor(Date.now() / 1000)}.${seq}`;
    if (this.channels.has(id)) throw new AriHttpError(409, 'Channel with given unique ID already exists');
    const ch = new Channel(
      id,
      spec.name,
      spec.caller,
      spec.language ?? 'en',
      { context: spec.context, exten: spec.exten, priority: spec.priority ?? 1, app_name: '', app_data: '' },
      spec.state ?? 'Ring',
      asteriskTime(),
    );
    this.channels.set(id, ch);
    return ch;
  }

  /** The dialplan runs `Stasis(app[,args])` on the channel. */
  enterStasis(ch: Channel, app: string, args: readonly string[], script?: CallerScript): void {
    ch.dialplan = {
      ...ch.dialplan,
      priority: ch.dialplan.priority + 1,
      app_name: 'Stasis',
      app_data: [app, ...args].join(','),
    };
    if (script && script.length > 0) ch.script = new ScriptRunner(script, this.#hands(ch));
    if (!this.appActive(app)) {
      ch.vars.set('STASISSTATUS', 'FAILED');
      ch.settle({ kind: 'not-in-stasis' });
      return;
    }
    ch.where = 'stasis';
    ch.app = app;
    ch.args = args;
    this.raise(ch, 'StasisStart', { args: [...args], channel: ch.json() });
    ch.stasisStartAt = preciseNow();
  }

  #hands(ch: Channel): ConstructorParameters<typeof ScriptRunner>[1] {
    return {
      alive: () => ch.where === 'stasis',
      dtmf: (digit, durationMs) => this.dtmf(ch, digit, durationMs),
      hangup: (cause) => this.callerHangup(ch, cause),
      schedule: (fn, ms) => void this.schedule(fn, ms),
    };
  }

  raise(ch: Channel, type: string, fields: Record<string, unknown>): void {
    if (ch.where !== 'stasis' || !ch.app) return;
    this.sink(
      ch.app,
      { type, timestamp: asteriskTime(), ...fields, asterisk_id: this.options.asteriskId, application: ch.app },
      ch,
    );
    if (ch.script) {
      const pb = fields.playback as PlaybackJson | undefined;
      ch.script.observe(type, pb?.media_uri);
    }
  }

  // ---- lookups with Asterisk's answers

  channelInStasis(id: string): Channel {
    const ch = this.channels.get(id);
    if (!ch || ch.where === 'gone') throw new AriHttpError(404, 'Channel not found');
    if (ch.where !== 'stasis') throw new AriHttpError(409, 'Channel not in Stasis application');
    return ch;
  }

  liveChannel(id: string): Channel {
    const ch = this.channels.get(id);
    if (!ch || ch.where === 'gone') throw new AriHttpError(404, 'Channel not found');
    return ch;
  }

  // ---- caller side

  /** DTMF from the caller. On the `;1` half of a Local pair it reaches the `;2` half. */
  dtmf(ch: Channel, digit: string, durationMs = 100): void {
    const target = ch.where !== 'stasis' && ch.peer ? ch.peer : ch;
    this.raise(target, 'ChannelDtmfReceived', { digit, duration_ms: durationMs, channel: target.json() });
    target.lastDtmfAt = preciseNow();
  }

  /** The caller hangs up: HangupRequest, the playback fails, StasisEnd; then the channel is gone. */
  callerHangup(ch: Channel, cause = 16): void {
    const peer = ch.peer;
    this.#hangup(ch, { cause }, 'caller');
    if (peer && peer.where !== 'gone') this.#hangup(peer, { cause }, 'caller');
  }

  #hangup(ch: Channel, fields: { cause: number; soft?: boolean }, by: 'caller' | 'app'): void {
    if (ch.where === 'gone') return;
    if (ch.where === 'stasis') {
      this.raise(ch, 'ChannelHangupRequest', { ...fields, channel: ch.json() });
      this.#endRecording(ch);
      this.#dropPlaybacks(ch, 'failed');
      this.raise(ch, 'StasisEnd', { channel: ch.json() });
      ch.settle({ kind: 'hungup', by, cause: fields.cause });
    }
    ch.where = 'gone';
    ch.hungUp = true;
  }

  /**
   * Asterisk runs a channel's commands (set variable, continue) in order on its control queue,
   * which a playing prompt holds until it ends or is stopped (`DELETE /playbacks/{id}`).
   */
  whenIdle(ch: Channel): Promise<void> {
    if (!this.options.controlQueue || !ch.current || ch.where !== 'stasis') return Promise.resolve();
    return new Promise((resolve) => ch.idle.push(resolve));
  }

  #flushIdle(ch: Channel): void {
    if (ch.current && ch.where === 'stasis') return;
    for (const run of ch.idle.splice(0)) run();
  }

  #dropPlaybacks(ch: Channel, currentEnds: PlaybackState | null): void {
    for (const q of ch.queue.splice(0)) this.playbacks.delete(q.id);
    const cur = ch.current;
    if (!cur) return this.#flushIdle(ch);
    ch.current = null;
    this.cancel(cur.timer);
    this.playbacks.delete(cur.id);
    if (currentEnds && cur.state !== 'queued') {
      cur.state = currentEnds;
      this.raise(ch, 'PlaybackFinished', { playback: cur.json() });
    }
    this.#flushIdle(ch);
  }

  // ---- ARI operations (called after the HTTP answer is decided)

  answer(ch: Channel): void {
    if (ch.state === 'Up') return;
    ch.state = 'Up';
    this.raise(ch, 'ChannelStateChange', { channel: ch.json() });
  }

  appHangup(ch: Channel, reason?: string, reasonCode?: string): void {
    const cause = reasonCode ? Number(reasonCode) : CAUSE_BY_REASON[reason ?? 'normal'] ?? 16;
    const peer = ch.peer;
    this.#hangup(ch, { cause, soft: true }, 'app');
    if (peer && peer.where !== 'gone') this.#hangup(peer, { cause }, 'app');
  }

  static validHangupReason(reason: string | undefined): boolean {
    return reason === undefined || reason in CAUSE_BY_REASON;
  }

  continueTarget(ch: Channel, context?: string, extension?: string, priority?: number): DialplanTarget {
    return {
      context: context || ch.dialplan.context,
      extension: extension || ch.dialplan.exten,
      priority: priority ?? ch.dialplan.priority + 1,
    };
  }

  continueInDialplan(ch: Channel, target: DialplanTarget): void {
    this.#endRecording(ch);
    this.#dropPlaybacks(ch, null);
    this.raise(ch, 'StasisEnd', { channel: ch.json() });
    ch.where = 'dialplan';
    ch.continuedAt = preciseNow();
    ch.continuedTo = target;
    ch.dialplan = { context: target.context, exten: target.extension, priority: target.priority, app_name: '', app_data: '' };
    const known = this.options.knownContexts;
    const dropped = known !== null && !known.has(target.context);
    ch.settle({ kind: 'continued', target, dropped });
    if (dropped) {
      ch.where = 'gone';
      ch.hungUp = true;
    }
  }

  /**
   * Without a value Asterisk unsets the variable, and raises no ChannelVarset. A name ending in
   * `)` is a dialplan function write; of those the emulator knows ARRAY(A,B,…), which sets each
   * named variable in order from the comma-separated value ('' for missing ones), as func_strings.c does.
   */
  setVariable(ch: Channel, name: string, value: string | undefined): void {
    const array = /^ARRAY\((.*)\)$/.exec(name);
    if (array) {
      const values = (value ?? '').split(',');
      array[1]!.split(',').forEach((n, i) => this.setVariable(ch, n.trim(), values[i] ?? ''));
      return;
    }
    if (value === undefined) {
      ch.vars.delete(name);
      return;
    }
    ch.vars.set(name, value);
    this.raise(ch, 'ChannelVarset', { variable: name, value, channel: ch.json() });
  }

  /** Queues a playback; the caller starts it after answering 201. */
  createPlayback(ch: Channel, media: readonly string[], lang: string | undefined, id: string | undefined): Playback {
    const pbId = id || randomUUID();
    if (this.playbacks.has(pbId)) throw new AriHttpError(409, 'Playback with the same id already exists');
    const pb = new Playback(pbId, media, lang || ch.language, ch);
    this.playbacks.set(pbId, pb);
    if (ch.current) ch.queue.push(pb);
    else ch.current = pb;
    return pb;
  }

  startIfCurrent(pb: Playback): void {
    if (pb.channel.current === pb && pb.state === 'queued') this.#playItem(pb);
  }

  #soundKnown(uri: string): boolean {
    if (!uri.startsWith('sound:')) return true;
    const known = this.options.knownSounds;
    if (!known) return true;
    const name = uri.slice('sound:'.length);
    return known.has(name) || known.has(uri) || this.options.playbackMs.has(uri) || this.options.playbackMs.has(name);
  }

  #durationOf(uri: string): number {
    const ms = this.options.playbackMs;
    return ms.get(uri) ?? ms.get(uri.replace(/^sound:/, '')) ?? this.options.defaultPlaybackMs;
  }

  #playItem(pb: Playback): void {
    const ch = pb.channel;
    pb.state = 'playing';
    this.raise(ch, 'PlaybackStarted', { playback: pb.json() });
    if (ch.current !== pb) return; // the script reacted by hanging up
    const uri = pb.media[pb.index] ?? '';
    if (!this.#soundKnown(uri)) {
      // As res_stasis_playback.c: a failed media ends the playback only when it is the last;
      // else Asterisk goes on to the next with the same PlaybackContinuing a played one gets.
      if (pb.index + 1 < pb.media.length) this.#advance(pb);
      else this.#finish(pb, 'failed');
      return;
    }
    pb.timer = this.schedule(() => this.#advance(pb), this.#durationOf(uri));
  }

  #advance(pb: Playback): void {
    pb.timer = null;
    if (pb.channel.current !== pb) return;
    if (pb.index + 1 < pb.media.length) {
      pb.state = 'continuing';
      this.raise(pb.channel, 'PlaybackContinuing', { playback: pb.json() });
      if (pb.channel.current !== pb) return;
      pb.index += 1;
      this.#playItem(pb);
      return;
    }
    this.#finish(pb, 'done');
  }

  #finish(pb: Playback, state: PlaybackState): void {
    const ch = pb.channel;
    this.cancel(pb.timer);
    pb.timer = null;
    pb.state = state;
    this.playbacks.delete(pb.id);
    if (ch.current === pb) ch.current = null;
    this.raise(ch, 'PlaybackFinished', { playback: pb.json() });
    if (!ch.current && ch.where === 'stasis') {
      const next = ch.queue.shift();
      if (next) {
        ch.current = next;
        this.#playItem(next);
      }
    }
    this.#flushIdle(ch);
  }

  /** `DELETE /playbacks/{id}`: the playback ends `done`, as Asterisk reports a stopped one. */
  stopPlayback(pb: Playback): void {
    const ch = pb.channel;
    const queued = ch.queue.indexOf(pb);
    if (queued >= 0) ch.queue.splice(queued, 1);
    this.#finish(pb, 'done');
  }

  // ---- recordings

  createRecording(ch: Channel, name: string, format: string, ifExists: string): LiveRecording {
    if (this.liveRecordings.has(name)) throw new AriHttpError(409, 'Recording with the same name is in progress');
    if (this.stored.has(name) && ifExists === 'fail') {
      throw new AriHttpError(409, 'Recording with the same name already exists on the system');
    }
    if (ch.recording) throw new AriHttpError(409, 'Channel is already recording');
    const rec = new LiveRecording(name, format, ch);
    this.liveRecordings.set(name, rec);
    ch.recording = rec;
    return rec;
  }

  startRecording(rec: LiveRecording, maxDurationSeconds: number): void {
    if (rec.channel.recording !== rec) return;
    rec.state = 'recording';
    rec.startedAt = Date.now();
    this.raise(rec.channel, 'RecordingStarted', { recording: rec.json() });
    if (maxDurationSeconds > 0) {
      rec.timer = this.schedule(
        () => this.finishRecording(rec, maxDurationSeconds),
        maxDurationSeconds * this.options.recordingMsPerSecond,
      );
    }
  }

  finishRecording(rec: LiveRecording, seconds?: number): void {
    if (rec.state === 'done') return;
    this.cancel(rec.timer);
    const secs =
      seconds ?? Math.round((Date.now() - rec.startedAt) / Math.max(1, this.options.recordingMsPerSecond));
    rec.state = 'done';
    rec.duration = secs;
    this.liveRecordings.delete(rec.name);
    if (rec.channel.recording === rec) rec.channel.recording = null;
    this.stored.set(rec.name, { name: rec.name, format: rec.format, data: toneWav(secs * 1000) });
    this.raise(rec.channel, 'RecordingFinished', { recording: rec.json() });
  }

  #endRecording(ch: Channel): void {
    if (ch.recording) this.finishRecording(ch.recording);
  }
}

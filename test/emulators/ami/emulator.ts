/**
 * A test-only Asterisk Manager Interface (AMI) server on loopback that speaks the real text
 * protocol and emits events with the names, keys and key order seen on Asterisk 22
 * (see the shared AMI transcripts). Chatty events that the transcripts leave out
 * (Newchannel, Newstate, Newexten…) are not emitted.
 */
import net from 'node:net';
import tls from 'node:tls';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodePacket, headerOf, PacketReader, type AmiPacket, type AmiPair } from './protocol.js';
import { silentWav, toneWav } from './wav.js';

export const AMI_BANNER = 'Asterisk Call Manager/11.0.0\r\n';

/** AMI permission classes (manager.conf `read=` / `write=`). */
export type AmiClass =
  | 'system'
  | 'call'
  | 'log'
  | 'verbose'
  | 'command'
  | 'agent'
  | 'user'
  | 'config'
  | 'dtmf'
  | 'reporting'
  | 'cdr'
  | 'dialplan'
  | 'originate'
  | 'agi'
  | 'cc'
  | 'aoc'
  | 'test'
  | 'security'
  | 'message'
  | 'all';

export interface AmiUser {
  readonly username: string;
  readonly secret: string;
  readonly read: readonly AmiClass[];
  readonly write: readonly AmiClass[];
  /** manager.conf include eventfilters: when set, only events it accepts reach this user. */
  readonly eventFilter?: (pairs: readonly AmiPair[]) => boolean;
}

/** What MixMonitor writes into the monitor dir: nothing, a 44-byte header, or a tone. */
export type RecordingAudio = 'none' | 'silent' | { readonly seconds: number };

export interface AmiEmulatorOptions {
  readonly users?: readonly AmiUser[];
  /**
   * Asterisk's monitor dir: relative MixMonitor file names are put under it. Files are written only
   * inside it, and only when it is given (a test's temp dir): without it the emulator reports
   * Asterisk's default path and writes nothing, so no test ever writes into the host's spool.
   */
  readonly monitorDir?: string;
  /** Asterisk sleeps 1 s before answering a failed login; tests shorten it. */
  readonly authFailDelayMs?: number;
  /** Audio written for recordings started by the AMI MixMonitor action. */
  readonly actionAudio?: RecordingAudio;
  /** Speak AMI over TLS with this PEM certificate and key (manager.conf `tlsenable`). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * CEL over AMI (asterisk/cel.conf with cel_manager): `Event: CEL` (class call) for channel starts
   * and ends, answers, hang-ups and MixMonitor, as Asterisk 22 sends them; {@link AmiEmulator.cel} for the rest.
   */
  readonly cel?: boolean;
}

export const CHANNEL_STATES = {
  Down: 0,
  Rsrvd: 1,
  OffHook: 2,
  Dialing: 3,
  Ring: 4,
  Ringing: 5,
  Up: 6,
  Busy: 7,
} as const;
export type ChannelStateDesc = keyof typeof CHANNEL_STATES;

export interface ChannelInit {
  readonly channel: string;
  readonly uniqueid: string;
  /** Defaults to the uniqueid (the first channel of a call). */
  readonly linkedid?: string;
  readonly state?: ChannelStateDesc;
  readonly callerIdNum?: string;
  readonly callerIdName?: string;
  readonly connectedLineNum?: string;
  readonly connectedLineName?: string;
  readonly language?: string;
  readonly accountCode?: string;
  readonly context?: string;
  readonly exten?: string;
  readonly priority?: number;
}

interface ActiveRecording {
  readonly path: string;
  readonly audio: RecordingAudio;
  /** Mute flags of the MixMonitor audiohook (MixMonitorMute), and when each mute began (ms). */
  muted: { read: boolean; write: boolean };
  /** Muted spans, ms since the recording started: written as silence into a tone recording. */
  readonly mutedSpans: Array<{ from: number; to: number | null }>;
  readonly startedAt: number;
}

/** A channel the emulator knows. Tests mutate the dialplan location with {@link AmiEmulator.goto}. */
export class EmuChannel {
  name: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  state: ChannelStateDesc;
  callerIdNum: string;
  callerIdName: string;
  connectedLineNum: string;
  connectedLineName: string;
  language: string;
  accountCode: string;
  context: string;
  exten: string;
  priority: number;
  readonly vars = new Map<string, string>();
  recording: ActiveRecording | null = null;
  alive = true;
  /** The other half of a Local channel pair: DTMF played on one is received on the other. */
  peer: EmuChannel | null = null;

  constructor(init: ChannelInit) {
    this.name = init.channel;
    this.uniqueid = init.uniqueid;
    this.linkedid = init.linkedid ?? init.uniqueid;
    this.state = init.state ?? 'Down';
    this.callerIdNum = init.callerIdNum ?? '<unknown>';
    this.callerIdName = init.callerIdName ?? '<unknown>';
    this.connectedLineNum = init.connectedLineNum ?? '<unknown>';
    this.connectedLineName = init.connectedLineName ?? '<unknown>';
    this.language = init.language ?? 'en';
    this.accountCode = init.accountCode ?? '';
    this.context = init.context ?? 'default';
    this.exten = init.exten ?? 's';
    this.priority = init.priority ?? 1;
  }

  /** The channel snapshot block every channel event starts with, in Asterisk's order. */
  block(): AmiPair[] {
    return [
      ['Channel', this.name],
      ['ChannelState', String(CHANNEL_STATES[this.state])],
      ['ChannelStateDesc', this.state],
      ['CallerIDNum', this.callerIdNum],
      ['CallerIDName', this.callerIdName],
      ['ConnectedLineNum', this.connectedLineNum],
      ['ConnectedLineName', this.connectedLineName],
      ['Language', this.language],
      ['AccountCode', this.accountCode],
      ['Context', this.context],
      ['Exten', this.exten],
      ['Priority', String(this.priority)],
      ['Uniqueid', this.uniqueid],
      ['Linkedid', this.linkedid],
    ];
  }
}

/** A Local channel pair as Asterisk creates it: `;1` the caller half, `;2` runs the inbound dialplan. */
export interface LocalCall {
  readonly caller: EmuChannel;
  readonly inbound: EmuChannel;
}

export interface LocalCallInit {
  /** Ids: the caller half gets `${id}-c`, the inbound half `${id}-s` unless given. */
  readonly id: string;
  readonly exten?: string;
  readonly context?: string;
  readonly callerIdNum?: string;
  readonly callerIdName?: string;
  readonly callerUniqueid?: string;
  readonly inboundUniqueid?: string;
  /** Channel name without `;1`/`;2`, e.g. `Local/100@tx-inbound-0000000d`; generated when absent. */
  readonly name?: string;
}

/** An action the emulator received, kept for tests (e.g. to count login attempts). */
export interface ReceivedAction {
  readonly session: number;
  readonly action: string;
  readonly packet: AmiPacket;
}

interface Session {
  readonly id: number;
  readonly socket: net.Socket;
  readonly reader: PacketReader;
  user: AmiUser | null;
  /** Event classes the client asked for at login (`Events:`); null means all its read classes. */
  eventMask: ReadonlySet<string> | null;
  closing: boolean;
}

const HANGUP_CAUSE_TEXT: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  16: 'Normal Clearing',
  17: 'User busy',
  19: 'No user responding',
  21: 'Call Rejected',
  34: 'Circuit/channel congestion',
};

/** Write permissions each emulated action needs, as the modules register them (any one suffices). */
const ACTION_AUTHORITY: Readonly<Record<string, readonly AmiClass[]>> = {
  ping: [],
  logoff: [],
  getvar: ['call', 'reporting'],
  setvar: ['call'],
  hangup: ['system', 'call'],
  mixmonitor: ['system'],
  stopmixmonitor: ['system', 'call'],
  // app_mixmonitor.c: ast_manager_register_xml("MixMonitorMute", EVENT_FLAG_SYSTEM | EVENT_FLAG_CALL, …)
  mixmonitormute: ['system', 'call'],
  playdtmf: ['call'],
  // pbx.c: ast_manager_register_xml_core("ShowDialPlan", EVENT_FLAG_CONFIG | EVENT_FLAG_REPORTING, …)
  showdialplan: ['config', 'reporting'],
};

/** One dialplan priority, as `dialplan show` lists it. */
export interface DialplanEntry {
  readonly context: string;
  readonly extension: string;
  readonly priority: number;
  readonly app: string;
  readonly appData?: string;
}

/** ast_extension_match for what tests need: exact names, and `_` patterns with X Z N . ! [set]. */
export function extensionMatches(pattern: string, exten: string): boolean {
  if (!pattern.startsWith('_')) return pattern === exten;
  let re = '';
  const p = pattern.slice(1);
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!.toUpperCase();
    if (c === 'X') re += '[0-9]';
    else if (c === 'Z') re += '[1-9]';
    else if (c === 'N') re += '[2-9]';
    else if (c === '.') re += '.+';
    else if (c === '!') re += '.*';
    else if (c === '[') {
      const end = p.indexOf(']', i);
      re += `[${p.slice(i + 1, end)}]`;
      i = end;
    } else re += c.replace(/[\\^$*+?.()|{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(exten);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Asterisk's `EventTV` format: `2026-11-28T09:45:24.811+0000`. */
function eventTv(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`
  );
}

/**
 * @example
 * const emu = await AmiEmulator.start({ monitorDir: tmp, authFailDelayMs: 10 });
 * const call = emu.createLocalCall({ id: 'c1', callerIdNum: '48600100200' });
 * emu.setVar(call.inbound, 'CONSENT_ID', 'k-1');
 * emu.startMixMonitor(call.inbound, 'c1-s.wav', { seconds: 1 });
 * emu.hangupLocalCall(call); // Hangup, no MixMonitorStop; the WAV is written
 * await emu.stop();
 */
export class AmiEmulator {
  readonly monitorDir: string;
  /** Whether recordings are written to disk (a monitorDir was given). */
  readonly writesFiles: boolean;
  readonly actions: ReceivedAction[] = [];
  readonly #users: readonly AmiUser[];
  readonly #authFailDelayMs: number;
  readonly #actionAudio: RecordingAudio;
  readonly #tls: AmiEmulatorOptions['tls'];
  readonly #sessions = new Set<Session>();
  readonly #channels: EmuChannel[] = [];
  /** Per file, the last write: writes to one file run in order (header at start, audio at close). */
  readonly #writes = new Map<string, Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #startedAt = Date.now();
  #server: net.Server | null = null;
  #port = 0;
  #sessionSeq = 0;
  #localSeq = 0x0d;
  /** Actions (lower case) whose next arrival cuts every session instead of an answer. */
  readonly #dropOn = new Set<string>();
  /** Actions (lower case) that are received and never answered (Asterisk stuck on a channel lock). */
  readonly #unanswered = new Set<string>();
  /** MixMonitorMute is answered Success but its MixMonitorMute event is never published. */
  #muteEventsLost = false;
  /** The running dialplan ShowDialPlan answers from (see {@link reloadDialplan}). */
  #dialplan: readonly DialplanEntry[] = [];
  readonly #cel: boolean;

  private constructor(opts: AmiEmulatorOptions) {
    this.#users = opts.users ?? [
      { username: 'consentline', secret: 'ami-secret', read: ['call', 'dialplan'], write: ['call', 'system'] },
    ];
    this.monitorDir = opts.monitorDir ?? '/var/spool/asterisk/monitor';
    this.writesFiles = opts.monitorDir !== undefined;
    this.#authFailDelayMs = opts.authFailDelayMs ?? 1000;
    this.#actionAudio = opts.actionAudio ?? 'none';
    this.#tls = opts.tls;
    this.#cel = opts.cel === true;
  }

  /** Starts listening on 127.0.0.1, port 0 (an ephemeral port). */
  static async start(opts: AmiEmulatorOptions = {}): Promise<AmiEmulator> {
    const emu = new AmiEmulator(opts);
    await emu.acceptConnections();
    return emu;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    return this.#port;
  }

  /** Number of open TCP sessions, logged in or not. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Number of sessions logged in. */
  get loggedInCount(): number {
    let n = 0;
    for (const s of this.#sessions) if (s.user && !s.closing) n++;
    return n;
  }

  /** Login actions received so far (successful or not). */
  get loginAttempts(): number {
    return this.actions.filter((a) => a.action.toLowerCase() === 'login').length;
  }

  // ---------------------------------------------------------------- connection control

  /** Listens again (after {@link refuseConnections}) on the same port. */
  async acceptConnections(): Promise<void> {
    if (this.#server) return;
    const onSocket = (socket: net.Socket): void => this.#onConnection(socket);
    const server = this.#tls ? tls.createServer({ cert: this.#tls.cert, key: this.#tls.key }, onSocket) : net.createServer(onSocket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.#port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.#port = addr.port;
    this.#server = server;
  }

  /** Stops listening, so connects get ECONNREFUSED as with Asterisk down. Open sessions stay. */
  async refuseConnections(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts every session at once, as an Asterisk crash or restart does. */
  dropConnections(): void {
    for (const s of this.#sessions) {
      s.closing = true;
      s.socket.destroy();
    }
    this.#sessions.clear();
  }

  /**
   * The next `action` that arrives is not answered: every session is cut as it comes in (Asterisk
   * going down just as the action was sent). The client sees its action end with the connection.
   */
  dropOnNextAction(action: string): void {
    this.#dropOn.add(action.toLowerCase());
  }

  /** Every later `action` is taken and never answered, until {@link answerActions}. */
  leaveUnanswered(action: string): void {
    this.#unanswered.add(action.toLowerCase());
  }

  answerActions(): void {
    this.#unanswered.clear();
    this.#muteEventsLost = false;
  }

  /** MixMonitorMute answers Success, but no MixMonitorMute event follows (lost on the way). */
  loseMuteEvents(): void {
    this.#muteEventsLost = true;
  }

  /** Simulates an Asterisk restart: drop everyone, refuse for `downMs`, then listen again. */
  async restart(downMs: number): Promise<void> {
    this.dropConnections();
    await this.refuseConnections();
    await new Promise((r) => setTimeout(r, downMs));
    await this.acceptConnections();
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.dropConnections();
    await this.refuseConnections();
    await this.flushFiles();
  }

  /** Waits until every recording file the emulator started writing is on disk. */
  async flushFiles(): Promise<void> {
    await Promise.all([...this.#writes.values()]);
  }

  // ---------------------------------------------------------------- channels (test API)

  /** Registers a channel without emitting anything. */
  addChannel(init: ChannelInit): EmuChannel {
    const ch = new EmuChannel(init);
    this.#channels.push(ch);
    this.cel(ch, 'CHAN_START');
    return ch;
  }

  /** Creates a Local channel pair and emits NewCallerid/NewConnectedLine for both halves, as Asterisk does. */
  createLocalCall(init: LocalCallInit): LocalCall {
    const exten = init.exten ?? '100';
    const context = init.context ?? 'consentline-inbound';
    const seq = (this.#localSeq++).toString(16).padStart(8, '0');
    const base = init.name ?? `Local/${exten}@${context}-${seq}`;
    const num = init.callerIdNum ?? '<unknown>';
    const name = init.callerIdName ?? '<unknown>';
    const callerId = init.callerUniqueid ?? `${init.id}-c`;
    const caller = this.addChannel({
      channel: `${base};1`,
      uniqueid: callerId,
      linkedid: callerId,
      state: 'Down',
      callerIdNum: num,
      callerIdName: name,
      context,
      exten,
    });
    this.#emitChannel('call', 'NewCallerid', caller, [['CID-CallingPres', '0 (Presentation Allowed, Not Screened)']]);
    caller.connectedLineNum = num;
    caller.connectedLineName = name;
    this.#emitChannel('call', 'NewConnectedLine', caller);
    const inbound = this.addChannel({
      channel: `${base};2`,
      uniqueid: init.inboundUniqueid ?? `${init.id}-s`,
      linkedid: callerId,
      state: 'Ring',
      callerIdNum: num,
      callerIdName: name,
      connectedLineNum: num,
      connectedLineName: name,
      context,
      exten,
    });
    this.#emitChannel('call', 'NewCallerid', inbound, [['CID-CallingPres', '0 (Presentation Allowed, Not Screened)']]);
    this.#emitChannel('call', 'NewConnectedLine', inbound);
    caller.peer = inbound;
    inbound.peer = caller;
    return { caller, inbound };
  }

  /** Looks a live channel up by name (case-insensitive) or uniqueid, as ast_channel_get_by_name does. */
  findChannel(nameOrId: string): EmuChannel | undefined {
    const lower = nameOrId.toLowerCase();
    return this.#channels.find((c) => c.alive && (c.name.toLowerCase() === lower || c.uniqueid === nameOrId));
  }

  /** Moves the channel in the dialplan (no event: Newexten is left out, as in the transcripts). */
  goto(ch: EmuChannel, where: { context?: string; exten?: string; priority?: number }): void {
    if (where.context !== undefined) ch.context = where.context;
    if (where.exten !== undefined) ch.exten = where.exten;
    if (where.priority !== undefined) ch.priority = where.priority;
  }

  /** Changes the channel state (Newstate is left out, as in the transcripts); with `cel`, Up is a CEL ANSWER. */
  setState(ch: EmuChannel, state: ChannelStateDesc): void {
    const answered = state === 'Up' && ch.state !== 'Up';
    ch.state = state;
    if (answered && this.#cel) this.cel(ch, 'ANSWER');
  }

  /**
   * One CEL record as cel_manager sends it (cel/cel_manager.c `manager_log`: keys in that order,
   * EventTime as Asterisk's local "%Y-%m-%d %T"). Sent only with the `cel` option.
   */
  cel(ch: EmuChannel, eventName: string, o: { application?: string; appData?: string; peer?: string; extra?: string } = {}): void {
    if (!this.#cel) return;
    const d = new Date();
    const p2 = (n: number) => String(n).padStart(2, '0');
    const time = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
    this.#broadcast('call', [
      ['Event', 'CEL'],
      ['Privilege', 'call,all'],
      ['EventName', eventName],
      ['AccountCode', ch.accountCode],
      ['CallerIDnum', ch.callerIdNum === '<unknown>' ? '' : ch.callerIdNum],
      ['CallerIDname', ch.callerIdName === '<unknown>' ? '' : ch.callerIdName],
      ['CallerIDani', ch.callerIdNum === '<unknown>' ? '' : ch.callerIdNum],
      ['CallerIDrdnis', ''],
      ['CallerIDdnid', ''],
      ['Exten', ch.exten],
      ['Context', ch.context],
      ['Channel', ch.name],
      ['Application', o.application ?? ''],
      ['AppData', o.appData ?? ''],
      ['EventTime', time],
      ['AMAFlags', 'DOCUMENTATION'],
      ['UniqueID', ch.uniqueid],
      ['LinkedID', ch.linkedid],
      ['Userfield', ''],
      ['Peer', o.peer ?? ''],
      ['PeerAccount', ''],
      ['Extra', o.extra ?? ''],
    ]);
  }

  /** Sets a channel variable and emits VarSet (class dialplan), as Set() or ARI would. */
  setVar(ch: EmuChannel, name: string, value: string): void {
    ch.vars.set(name, value);
    this.#emitChannel('dialplan', 'VarSet', ch, [
      ['Variable', name],
      ['Value', value],
    ]);
  }

  /** A DTMF digit received on the channel: DTMFBegin, DTMFEnd (class dtmf). */
  dtmf(ch: EmuChannel, digit: string, durationMs = 100): void {
    this.#emitChannel('dtmf', 'DTMFBegin', ch, [
      ['Digit', digit],
      ['Direction', 'Received'],
    ]);
    this.#emitChannel('dtmf', 'DTMFEnd', ch, [
      ['Digit', digit],
      ['DurationMs', String(durationMs)],
      ['Direction', 'Received'],
    ]);
  }

  /**
   * The channel enters (or leaves) a bridge: BridgeEnter / BridgeLeave (class call) as
   * manager_bridges.c publishes them, the bridge snapshot first, then the channel's.
   */
  bridge(ch: EmuChannel, bridgeId: string, entered: boolean, members: number): void {
    const bridgeBlock: AmiPair[] = [
      ['BridgeUniqueid', bridgeId],
      ['BridgeType', 'basic'],
      ['BridgeTechnology', 'simple_bridge'],
      ['BridgeCreator', '<unknown>'],
      ['BridgeName', '<unknown>'],
      ['BridgeNumChannels', String(members)],
      ['BridgeVideoSourceMode', 'none'],
    ];
    const event = entered ? 'BridgeEnter' : 'BridgeLeave';
    this.#broadcast('call', [['Event', event], ['Privilege', 'call,all'], ...bridgeBlock, ...ch.block()]);
  }

  /** Emits a UserEvent as the dialplan's UserEvent() would. */
  userEvent(ch: EmuChannel, name: string, fields: readonly AmiPair[] = []): void {
    this.#emitChannel('user', 'UserEvent', ch, [['UserEvent', name], ...fields]);
  }

  /**
   * The dialplan runs MixMonitor(file): VarSet MIXMONITOR_FILENAME with the full path, then
   * MixMonitorStart (which carries no file name). Returns the full path.
   */
  startMixMonitor(ch: EmuChannel, file: string, audio: RecordingAudio = 'none'): string {
    const full = path.isAbsolute(file) ? file : path.posix.join(this.monitorDir, file);
    ch.recording = { path: full, audio, muted: { read: false, write: false }, mutedSpans: [], startedAt: Date.now() };
    if (audio !== 'none') this.#write(full, silentWav());
    this.cel(ch, 'APP_START', { application: 'MixMonitor', appData: `${file},b` });
    this.setVar(ch, 'MIXMONITOR_FILENAME', full);
    this.#emitChannel('call', 'MixMonitorStart', ch);
    return full;
  }

  /** StopMixMonitor() in the dialplan: closes the file and emits MixMonitorStop. */
  stopMixMonitor(ch: EmuChannel): void {
    this.#closeRecording(ch);
    this.#emitChannel('call', 'MixMonitorStop', ch);
  }

  /**
   * One channel hangs up: SoftHangupRequest, Hangup. A running MixMonitor closes its file
   * silently: there is no MixMonitorStop on hang-up.
   */
  hangup(ch: EmuChannel, cause = 16): void {
    this.#emitChannel('call', 'SoftHangupRequest', ch, [['Cause', String(cause)]]);
    this.#gone(ch, cause);
  }

  /** The inbound half ends the call (dialplan Hangup()): the event order of transcript 01. */
  hangupLocalCall(call: LocalCall, cause = 16): void {
    const { caller, inbound } = call;
    this.#emitChannel('call', 'SoftHangupRequest', inbound, [['Cause', String(cause)]]);
    this.#emitChannel('call', 'HangupRequest', caller, [['Cause', String(cause)]]);
    this.#gone(inbound, cause);
    this.#emitChannel('call', 'SoftHangupRequest', caller, [['Cause', String(cause)]]);
    this.#gone(caller, cause);
  }

  #gone(ch: EmuChannel, cause: number): void {
    this.#closeRecording(ch);
    ch.alive = false;
    this.#emitChannel('call', 'Hangup', ch, [
      ['Cause', String(cause)],
      ['Cause-txt', HANGUP_CAUSE_TEXT[cause] ?? 'Unknown'],
    ]);
    this.cel(ch, 'HANGUP', { extra: JSON.stringify({ hangupcause: cause, hangupsource: '', dialstatus: '' }) });
    this.cel(ch, 'CHAN_END');
    if (!this.#channels.some((c) => c.alive && c.linkedid === ch.linkedid)) this.cel(ch, 'LINKEDID_END');
  }

  #closeRecording(ch: EmuChannel): void {
    const rec = ch.recording;
    if (!rec) return;
    ch.recording = null;
    if (rec.audio === 'none') return;
    const last = rec.mutedSpans.at(-1);
    if (last && last.to === null) last.to = Date.now() - rec.startedAt;
    const spans = rec.mutedSpans.map((m) => ({ from: m.from / 1000, to: (m.to ?? 0) / 1000 }));
    this.#write(rec.path, rec.audio === 'silent' ? silentWav() : toneWav(rec.audio.seconds, spans));
  }

  #write(file: string, data: Buffer): void {
    // A path outside the test's monitor dir is "on the Asterisk host": never written here.
    const inside = path.relative(this.monitorDir, file);
    if (!this.writesFiles || inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return;
    const previous = this.#writes.get(file) ?? Promise.resolve();
    const p: Promise<void> = previous
      .then(() => mkdir(path.dirname(file), { recursive: true }))
      .then(() => writeFile(file, data))
      .catch(() => undefined)
      .finally(() => {
        if (this.#writes.get(file) === p) this.#writes.delete(file);
      });
    this.#writes.set(file, p);
  }

  // ---------------------------------------------------------------- events

  /** Sends any event to the sessions allowed to read its class. For hostile or unusual shapes. */
  emitEvent(cls: AmiClass, pairs: readonly AmiPair[]): void {
    this.#broadcast(cls, pairs);
  }

  #emitChannel(cls: AmiClass, event: string, ch: EmuChannel, extra: readonly AmiPair[] = []): void {
    this.#broadcast(cls, [['Event', event], ['Privilege', `${cls},all`], ...ch.block(), ...extra]);
  }

  #broadcast(cls: AmiClass, pairs: readonly AmiPair[], except?: Session): void {
    const wire = encodePacket(pairs);
    for (const s of this.#sessions) {
      if (s === except || s.closing || !s.user) continue;
      if (!this.#wants(s, cls) || s.user.eventFilter?.(pairs) === false) continue;
      s.socket.write(wire);
    }
  }

  #wants(s: Session, cls: AmiClass): boolean {
    const user = s.user;
    if (!user) return false;
    const readable = user.read.includes('all') || user.read.includes(cls);
    if (!readable) return false;
    if (s.eventMask === null) return true;
    return s.eventMask.has('all') || s.eventMask.has(cls);
  }

  // ---------------------------------------------------------------- sessions

  #onConnection(socket: net.Socket): void {
    const session: Session = {
      id: ++this.#sessionSeq,
      socket,
      reader: new PacketReader(),
      user: null,
      eventMask: null,
      closing: false,
    };
    this.#sessions.add(session);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.#sessions.delete(session));
    socket.on('data', (chunk: string) => {
      for (const packet of session.reader.push(chunk)) {
        if (session.closing) return;
        this.#onPacket(session, packet);
      }
    });
    socket.write(AMI_BANNER);
  }

  #reply(s: Session, packet: AmiPacket, response: string, fields: readonly AmiPair[]): void {
    const id = headerOf(packet, 'ActionID');
    const pairs: AmiPair[] = [['Response', response]];
    if (id !== undefined && id !== '') pairs.push(['ActionID', id]);
    pairs.push(...fields);
    s.socket.write(encodePacket(pairs));
  }

  #ack(s: Session, packet: AmiPacket, message?: string): void {
    this.#reply(s, packet, 'Success', message === undefined ? [] : [['Message', message]]);
  }

  #error(s: Session, packet: AmiPacket, message: string): void {
    this.#reply(s, packet, 'Error', [['Message', message]]);
  }

  #close(s: Session): void {
    s.closing = true;
    s.socket.end();
  }

  #onPacket(s: Session, packet: AmiPacket): void {
    const action = headerOf(packet, 'Action') ?? '';
    this.actions.push({ session: s.id, action, packet });
    if (action === '') {
      this.#error(s, packet, 'Missing action in request');
      return;
    }
    const key = action.toLowerCase();
    if (this.#dropOn.delete(key)) {
      this.dropConnections();
      return;
    }
    if (this.#unanswered.has(key)) return;
    if (key === 'login') {
      this.#login(s, packet);
      return;
    }
    if (!s.user && key !== 'logoff' && key !== 'challenge') {
      this.#error(s, packet, 'Permission denied');
      return;
    }
    const authority = ACTION_AUTHORITY[key];
    if (authority === undefined) {
      this.#error(s, packet, `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`);
      return;
    }
    const write = s.user?.write ?? [];
    if (authority.length > 0 && !write.includes('all') && !authority.some((c) => write.includes(c))) {
      this.#error(s, packet, 'Permission denied');
      return;
    }
    switch (key) {
      case 'ping': {
        const now = Date.now();
        const ts = `${Math.floor(now / 1000)}.${pad((now % 1000) * 1000, 6)}`;
        this.#reply(s, packet, 'Success', [
          ['Ping', 'Pong'],
          ['Timestamp', ts],
        ]);
        return;
      }
      case 'logoff':
        this.#reply(s, packet, 'Goodbye', [['Message', 'Thanks for all the fish.']]);
        this.#close(s);
        return;
      case 'getvar':
        this.#getvar(s, packet);
        return;
      case 'setvar':
        this.#setvar(s, packet);
        return;
      case 'hangup':
        this.#hangupAction(s, packet);
        return;
      case 'mixmonitor':
        this.#mixMonitorAction(s, packet);
        return;
      case 'stopmixmonitor':
        this.#stopMixMonitorAction(s, packet);
        return;
      case 'mixmonitormute':
        this.#muteAction(s, packet);
        return;
      case 'playdtmf':
        this.#playDtmfAction(s, packet);
        return;
      case 'showdialplan':
        this.#showDialPlan(s, packet);
        return;
    }
  }

  /** Sets the running dialplan without a reload event (the state at start-up). */
  setDialplan(entries: readonly DialplanEntry[]): void {
    this.#dialplan = [...entries];
  }

  /** `dialplan reload`: the new dialplan, then the Reload event (class system) pbx_config's reload raises. */
  reloadDialplan(entries: readonly DialplanEntry[]): void {
    this.#dialplan = [...entries];
    this.#broadcast('system', [['Event', 'Reload'], ['Privilege', 'system,all'], ['Module', 'pbx_config.so'], ['Status', '0']]);
  }

  /**
   * pbx.c manager_show_dialplan: an error when a named context or extension is not there;
   * otherwise a list ack, one ListDialplan event per priority, then ShowDialPlanComplete.
   */
  #showDialPlan(s: Session, packet: AmiPacket): void {
    const context = headerOf(packet, 'Context') ?? '';
    const exten = headerOf(packet, 'Extension') ?? '';
    const inContext = this.#dialplan.filter((e) => context === '' || e.context === context);
    if (context !== '' && inContext.length === 0) {
      this.#error(s, packet, `Did not find context ${context}`);
      return;
    }
    const found = inContext.filter((e) => exten === '' || extensionMatches(e.extension, exten));
    if (exten !== '' && found.length === 0) {
      this.#error(s, packet, context !== '' ? `Did not find extension ${exten}@${context}` : `Did not find extension ${exten} in any context`);
      return;
    }
    const id = headerOf(packet, 'ActionID');
    const idPair: AmiPair[] = id === undefined ? [] : [['ActionID', id]];
    this.#reply(s, packet, 'Success', [['EventList', 'start'], ['Message', 'DialPlan list will follow']]);
    for (const e of found) {
      s.socket.write(
        encodePacket([['Event', 'ListDialplan'], ...idPair, ['Context', e.context], ['Extension', e.extension], ['Priority', String(e.priority)], ['Application', e.app], ['AppData', e.appData ?? ''], ['Registrar', 'pbx_config']]),
      );
    }
    const count = (f: (e: DialplanEntry) => string) => String(new Set(found.map(f)).size);
    s.socket.write(
      encodePacket([
        ['Event', 'ShowDialPlanComplete'],
        ...idPair,
        ['EventList', 'Complete'],
        ['ListItems', String(found.length)],
        ['ListExtensions', count((e) => `${e.context}/${e.extension}`)],
        ['ListPriorities', String(found.length)],
        ['ListContexts', count((e) => e.context)],
      ]),
    );
  }

  #login(s: Session, packet: AmiPacket): void {
    if (s.user) {
      this.#ack(s, packet, 'Already authenticated');
      return;
    }
    const username = headerOf(packet, 'Username') ?? '';
    const secret = headerOf(packet, 'Secret') ?? '';
    const user = this.#users.find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (!user || user.secret !== secret) {
      this.#invalidPassword(s, username);
      // Asterisk sleeps before answering a failed login, then ends the session.
      const t = setTimeout(() => {
        this.#timers.delete(t);
        if (s.closing || s.socket.destroyed) return;
        this.#error(s, packet, 'Authentication failed');
        this.#close(s);
      }, this.#authFailDelayMs);
      this.#timers.add(t);
      return;
    }
    s.user = user;
    s.eventMask = parseEventsHeader(headerOf(packet, 'Events'));
    this.#ack(s, packet, 'Authentication accepted');
    if (this.#wants(s, 'system')) {
      const uptime = Math.floor((Date.now() - this.#startedAt) / 1000);
      s.socket.write(
        encodePacket([
          ['Event', 'FullyBooted'],
          ['Privilege', 'system,all'],
          ['Uptime', String(uptime)],
          ['LastReload', String(uptime)],
          ['Status', 'Fully Booted'],
        ]),
      );
    }
  }

  /** The security event other sessions (read=security) get for a wrong secret. */
  #invalidPassword(s: Session, username: string): void {
    const now = new Date();
    this.#broadcast(
      'security',
      [
        ['Event', 'InvalidPassword'],
        ['Privilege', 'security,all'],
        ['EventTV', eventTv(now)],
        ['Severity', 'Error'],
        ['Service', 'AMI'],
        ['EventVersion', '2'],
        ['AccountID', username],
        ['SessionID', `0x${(0x7f3540000000 + s.id * 0x10).toString(16)}`],
        ['LocalAddress', `IPV4/TCP/127.0.0.1/${this.#port}`],
        ['RemoteAddress', `IPV4/TCP/${s.socket.remoteAddress ?? '127.0.0.1'}/${s.socket.remotePort ?? 0}`],
        ['SessionTV', '1970-01-01T00:00:00.000+0000'],
      ],
      s,
    );
  }

  #channelFor(s: Session, packet: AmiPacket): EmuChannel | null {
    const name = headerOf(packet, 'Channel') ?? '';
    if (name === '') {
      this.#error(s, packet, 'No channel specified');
      return null;
    }
    const ch = this.findChannel(name);
    if (!ch) {
      this.#error(s, packet, 'No such channel');
      return null;
    }
    return ch;
  }

  #getvar(s: Session, packet: AmiPacket): void {
    const variable = headerOf(packet, 'Variable') ?? '';
    if (variable === '') {
      this.#error(s, packet, 'No variable specified');
      return;
    }
    const name = headerOf(packet, 'Channel') ?? '';
    let ch: EmuChannel | undefined;
    if (name !== '') {
      ch = this.findChannel(name);
      if (!ch) {
        this.#error(s, packet, 'No such channel');
        return;
      }
    }
    this.#reply(s, packet, 'Success', [
      ['Variable', variable],
      ['Value', ch ? readVar(ch, variable) : ''],
    ]);
  }

  #setvar(s: Session, packet: AmiPacket): void {
    const variable = headerOf(packet, 'Variable') ?? '';
    if (variable === '') {
      this.#error(s, packet, 'No variable specified');
      return;
    }
    const name = headerOf(packet, 'Channel') ?? '';
    const ch = name === '' ? undefined : this.findChannel(name);
    if (name !== '' && !ch) {
      this.#error(s, packet, 'No such channel');
      return;
    }
    const value = headerOf(packet, 'Value') ?? '';
    // VarSet goes out through Stasis, so it reaches the sessions after the direct ack (as with MixMonitor in 07).
    this.#ack(s, packet, 'Variable Set');
    if (ch) this.setVar(ch, variable, value);
  }

  #hangupAction(s: Session, packet: AmiPacket): void {
    const ch = this.#channelFor(s, packet);
    if (!ch) return;
    const causeHeader = headerOf(packet, 'Cause');
    const cause = causeHeader && /^\d+$/.test(causeHeader) ? Number(causeHeader) : 16;
    this.#ack(s, packet, 'Channel Hungup');
    this.hangup(ch, cause);
  }

  #mixMonitorAction(s: Session, packet: AmiPacket): void {
    const ch = this.#channelFor(s, packet);
    if (!ch) return;
    const file = headerOf(packet, 'File') ?? '';
    if (file === '') {
      // mixmonitor_exec refuses an empty file name.
      this.#error(s, packet, 'Could not start monitoring channel');
      return;
    }
    // A bare Success (ActionID only), as in transcript 07; the file name follows as VarSet.
    this.#reply(s, packet, 'Success', []);
    this.startMixMonitor(ch, file, this.#actionAudio);
  }

  /** DTMF queued on a channel is received by its Local peer (or by itself when it has none). */
  #playDtmfAction(s: Session, packet: AmiPacket): void {
    const ch = this.#channelFor(s, packet);
    if (!ch) return;
    const digit = headerOf(packet, 'Digit') ?? '';
    if (digit === '') {
      this.#error(s, packet, 'No digit specified');
      return;
    }
    const durationHeader = headerOf(packet, 'Duration');
    const duration = durationHeader && /^\d+$/.test(durationHeader) ? Number(durationHeader) : 100;
    this.#ack(s, packet, 'DTMF successfully queued');
    this.dtmf(ch.peer ?? ch, digit.charAt(0), duration);
  }

  /**
   * app_mixmonitor.c manager_mute_mixmonitor: Direction first (missing or not read/write/both is an
   * error), then Channel, then State; `Cannot set mute flag` when the channel has no audiohooks.
   * A bare Success, then the MixMonitorMute event (class call) with Direction and State 1|0.
   */
  #muteAction(s: Session, packet: AmiPacket): void {
    const direction = headerOf(packet, 'Direction') ?? '';
    if (direction === '') return this.#error(s, packet, 'No direction specified. Must be read, write or both');
    const dir = direction.toLowerCase();
    if (dir !== 'read' && dir !== 'write' && dir !== 'both') return this.#error(s, packet, 'Invalid direction specified. Must be read, write or both');
    if ((headerOf(packet, 'Channel') ?? '') === '') return this.#error(s, packet, 'No channel specified');
    const state = headerOf(packet, 'State') ?? '';
    if (state === '') return this.#error(s, packet, 'No state specified');
    const ch = this.#channelFor(s, packet);
    if (!ch) return;
    const rec = ch.recording;
    if (!rec) return this.#error(s, packet, 'Cannot set mute flag');
    const on = /^(1|yes|true|y|t|on)$/i.test(state);
    const wasMuted = rec.muted.read && rec.muted.write;
    if (dir !== 'write') rec.muted.read = on;
    if (dir !== 'read') rec.muted.write = on;
    const nowMuted = rec.muted.read && rec.muted.write;
    const at = Date.now() - rec.startedAt;
    if (nowMuted && !wasMuted) rec.mutedSpans.push({ from: at, to: null });
    if (!nowMuted && wasMuted) rec.mutedSpans.at(-1)!.to = at;
    this.#reply(s, packet, 'Success', []);
    if (this.#muteEventsLost) return;
    this.#emitChannel('call', 'MixMonitorMute', ch, [
      ['Direction', direction],
      ['State', on ? '1' : '0'],
    ]);
  }

  #stopMixMonitorAction(s: Session, packet: AmiPacket): void {
    const ch = this.#channelFor(s, packet);
    if (!ch) return;
    if (!ch.recording) {
      this.#error(s, packet, 'Could not stop monitoring channel');
      return;
    }
    this.#reply(s, packet, 'Success', []);
    this.stopMixMonitor(ch);
  }
}

/** `Events: on|off|<class list>` at login. Absent or `on`: everything the user may read. */
function parseEventsHeader(value: string | undefined): ReadonlySet<string> | null {
  if (value === undefined || value === '') return null;
  const v = value.trim().toLowerCase();
  if (v === 'on' || v === 'yes' || v === 'true') return null;
  if (v === 'off' || v === 'no' || v === 'false') return new Set();
  return new Set(v.split(',').map((x) => x.trim()));
}

/** Channel variables plus the built-ins a test is likely to ask for. */
function readVar(ch: EmuChannel, name: string): string {
  switch (name) {
    case 'UNIQUEID':
      return ch.uniqueid;
    case 'CHANNEL':
    case 'CHANNEL(name)':
      return ch.name;
    case 'CHANNEL(linkedid)':
      return ch.linkedid;
    case 'CONTEXT':
      return ch.context;
    case 'EXTEN':
      return ch.exten;
    case 'PRIORITY':
      return String(ch.priority);
    case 'CALLERID(num)':
      return ch.callerIdNum;
    case 'CALLERID(name)':
      return ch.callerIdName;
    default:
      return ch.vars.get(name) ?? '';
  }
}

/**
 * An ARI emulator for tests: HTTP + WebSocket on loopback, spoken to by the service's real
 * ARI adapter, behaving like Asterisk 22 (see /work/shared/design/ASTERISK-NOTES.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { Pbx, type CallOutcome, type Channel, type DialplanTarget } from './pbx.js';
import { dispatch, type RestAnswer, type RestContext } from './rest.js';
import { RESOURCES, renderApiDeclaration, renderResourceListing, type ResourceName } from './spec.js';
import { FaultBook, type FaultRule, type RequestLogEntry } from './faults.js';
import type { CallerScript } from './script.js';
import type { StoredRecording } from './recordings.js';
import { connectOutbound, type OutboundClient, type OutboundOptions, type SocketRestRequest } from './outbound.js';

export type { CallOutcome, DialplanTarget } from './pbx.js';
export type { FaultRule, RequestLogEntry } from './faults.js';
export * from './script.js';

export interface AriEmulatorOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly username?: string;
  readonly password?: string;
  /** The Stasis app `originate()` and the emulated dialplan send calls to. Default `consentline`. */
  readonly app?: string;
  readonly asteriskId?: string;
  /** Playback length per media, `sound:notice` or `notice` → ms. */
  readonly playbackMs?: Readonly<Record<string, number>>;
  /** Default 300 ms. */
  readonly defaultPlaybackMs?: number;
  /** When given, other `sound:` media fail like a missing file (201, then `failed`). */
  readonly knownSounds?: readonly string[];
  /** When given, `continue` into any other context answers 204 and then drops the call. */
  readonly knownContexts?: readonly string[];
  /** Real ms per recorded second; default 1000. Tests use small values. */
  readonly recordingMsPerSecond?: number;
  /** Variable and continue requests wait for the playing prompt, as on Asterisk 22's control queue (default false). */
  readonly controlQueue?: boolean;
  /** Keep every event in `events` (default true; the benchmark turns it off). */
  readonly recordEvents?: boolean;
  /** Keep every request in `requests` (default true). */
  readonly logRequests?: boolean;
  /**
   * http.conf `sessionlimit`: past this many open HTTP connections a new one is closed without
   * an answer, as Asterisk does ("HTTP session count exceeded"). A connection upgraded to the
   * events WebSocket stops counting, as in Asterisk. Default: no limit.
   */
  readonly sessionLimit?: number;
  /** Serve https:// and wss:// with this PEM certificate and key (http.conf `tlsenable`). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface OriginateOptions {
  readonly callerNumber?: string;
  readonly callerName?: string;
  /** The dialled number; the channel's dialplan extension. Default `100`. */
  readonly exten?: string;
  readonly context?: string;
  readonly language?: string;
  /** Arguments of `Stasis(app,args…)`. */
  readonly args?: readonly string[];
  readonly app?: string;
  readonly channelId?: string;
  /** Channel state on entry; inbound calls usually arrive `Ring` and get answered. */
  readonly state?: 'Ring' | 'Up';
  readonly script?: CallerScript;
}

/** A test's grip on one emulated call. */
export interface CallHandle {
  readonly id: string;
  /** False when no WebSocket for the app was open: Asterisk then goes on with STASISSTATUS=FAILED. */
  readonly enteredStasis: boolean;
  dtmf(digit: string, durationMs?: number): void;
  /** The caller hangs up. */
  hangup(cause?: number): void;
  variables(): Record<string, string>;
  readonly continuedTo: DialplanTarget | null;
  readonly hungUp: boolean;
  /** Resolves when the call leaves the application. */
  outcome(): Promise<CallOutcome>;
}

/** What the emulator knows about a channel, for assertions. */
export interface ChannelView {
  readonly id: string;
  readonly where: 'stasis' | 'dialplan' | 'gone';
  readonly state: string;
  readonly variables: Record<string, string>;
  readonly continuedTo: DialplanTarget | null;
  readonly hungUp: boolean;
  readonly outcome: CallOutcome | null;
  readonly stasisStartAt: number | null;
  readonly firstPlayAt: number | null;
  readonly lastDtmfAt: number | null;
  readonly continuedAt: number | null;
}

export interface RecordedEvent {
  readonly event: { readonly type: string } & Record<string, unknown>;
  readonly channelId: string | null;
  /** False when no WebSocket for the app was open: Asterisk drops such events. */
  readonly delivered: boolean;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  /** Named in the timeout error. */
  readonly what?: string;
}

const DEFAULT_CREDENTIALS = { username: 'asterisk', password: 'asterisk' };

function jsonHeaders(length: number): Record<string, string | number> {
  return { 'Content-Type': 'application/json', 'Content-Length': length, Server: 'Asterisk/22.10.1' };
}

/** See the module comment. Start one with {@link AriEmulator.start}. */
export class AriEmulator {
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #pbx: Pbx;
  readonly #faults = new FaultBook();
  readonly #sockets = new Map<string, Set<WebSocket>>();
  readonly #apps = new Set<string>();
  readonly #hung = new Set<ServerResponse>();
  readonly #waiters = new Set<() => void>();
  readonly #playbackMs = new Map<string, number>();
  readonly #rest: RestContext;
  readonly #opts: AriEmulatorOptions;
  readonly #authHeader: string;
  readonly #apiKey: string;
  readonly #sessions = new Set<Socket>();
  #maxSessions = 0;
  #sessionsRefused = 0;
  #refuseUntil = 0;
  #knownContexts: Set<string> | null;
  #port = 0;
  #closed = false;
  /** Every REST request, in arrival order. */
  readonly requests: RequestLogEntry[] = [];
  /** Every event raised, delivered or dropped, in order. */
  readonly events: RecordedEvent[] = [];

  private constructor(opts: AriEmulatorOptions) {
    this.#opts = opts;
    const user = opts.username ?? DEFAULT_CREDENTIALS.username;
    const pass = opts.password ?? DEFAULT_CREDENTIALS.password;
    this.#authHeader = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    this.#apiKey = `${user}:${pass}`;
    for (const [k, v] of Object.entries(opts.playbackMs ?? {})) this.#playbackMs.set(k, v);
    this.#knownContexts = opts.knownContexts ? new Set(opts.knownContexts) : null;
    const self = this;
    this.#pbx = new Pbx(
      {
        asteriskId: opts.asteriskId ?? '02:42:ac:11:00:02',
        playbackMs: this.#playbackMs,
        defaultPlaybackMs: opts.defaultPlaybackMs ?? 300,
        knownSounds: opts.knownSounds ? new Set(opts.knownSounds) : null,
        get knownContexts() {
          return self.#knownContexts;
        },
        recordingMsPerSecond: opts.recordingMsPerSecond ?? 1000,
        controlQueue: opts.controlQueue ?? false,
      },
      (app, event, ch) => this.#deliver(app, event, ch),
      (app) => this.appConnected(app),
    );
    this.#rest = { pbx: this.#pbx, dialplanApp: this.app, apps: () => [...this.#apps] };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.#onRequest(req, res);
    this.#server = opts.tls
      ? (createTlsServer({ keepAlive: true, cert: opts.tls.cert, key: opts.tls.key }, onRequest) as unknown as Server)
      : createServer({ keepAlive: true }, onRequest);
    this.#server.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#server.on('connection', (socket) => this.#onConnection(socket));
  }

  #onConnection(socket: Socket): void {
    if (this.#sessions.size >= (this.#opts.sessionLimit ?? Infinity)) {
      this.#sessionsRefused += 1;
      socket.destroy();
      return;
    }
    this.#sessions.add(socket);
    this.#maxSessions = Math.max(this.#maxSessions, this.#sessions.size);
    socket.on('close', () => this.#sessions.delete(socket));
  }

  /** HTTP connections open now (events WebSockets excluded). */
  get openSessions(): number {
    return this.#sessions.size;
  }

  /** The most HTTP connections that were ever open at once. */
  get maxConcurrentSessions(): number {
    return this.#maxSessions;
  }

  /** Connections closed unanswered because `sessionLimit` was reached. */
  get sessionsRefused(): number {
    return this.#sessionsRefused;
  }

  /** Starts an emulator listening on loopback. */
  static async start(opts: AriEmulatorOptions = {}): Promise<AriEmulator> {
    const emu = new AriEmulator(opts);
    await new Promise<void>((resolve, reject) => {
      emu.#server.once('error', reject);
      emu.#server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    emu.#port = (emu.#server.address() as AddressInfo).port;
    return emu;
  }

  get port(): number {
    return this.#port;
  }

  /** Base URL for the ARI adapter: `http://127.0.0.1:PORT` (`https://` with `tls`). */
  get url(): string {
    return `${this.#opts.tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  /**
   * Asterisk 22's outbound ARI WebSocket (websocket_client.conf, persistent): connects to `url` with
   * Basic auth and subprotocol `ari`, sends this app's events there, answers `RESTRequest` messages
   * with `RESTResponse`, and reconnects every `reconnectMs` until closed.
   */
  connectOutbound(opts: OutboundOptions): OutboundClient {
    return connectOutbound(opts, {
      attach: (apps, ws) => this.#attachSocket(apps, ws),
      rest: (request, reply) => this.#restOverSocket(request, reply),
    });
  }

  #attachSocket(apps: readonly string[], ws: WebSocket): void {
    for (const app of apps) {
      this.#apps.add(app);
      let set = this.#sockets.get(app);
      if (!set) this.#sockets.set(app, (set = new Set()));
      set.add(ws);
    }
    ws.on('error', () => undefined);
    ws.on('close', () => {
      for (const app of apps) this.#sockets.get(app)?.delete(ws);
      this.#notify();
    });
    this.#notify();
  }

  /** A REST request that came over a WebSocket: logged and answered like one over HTTP (no faults). */
  #restOverSocket(r: SocketRestRequest, reply: (answer: RestAnswer) => void): void {
    const entry: RequestLogEntry = { at: Date.now(), method: r.method, path: r.path, query: r.query, status: 0 };
    if (this.#opts.logRequests !== false) this.requests.push(entry);
    const answer = dispatch(this.#rest, r.method, r.path, r.query, r.body, performance.timeOrigin + performance.now());
    entry.status = answer.status;
    reply(answer);
    answer.after?.();
    this.#notify();
  }

  get username(): string {
    return this.#opts.username ?? DEFAULT_CREDENTIALS.username;
  }

  get password(): string {
    return this.#opts.password ?? DEFAULT_CREDENTIALS.password;
  }

  get app(): string {
    return this.#opts.app ?? 'consentline';
  }

  /** Whether an events WebSocket for `app` is open. */
  appConnected(app: string = this.app): boolean {
    for (const ws of this.#sockets.get(app) ?? []) if (ws.readyState === WebSocket.OPEN) return true;
    return false;
  }

  // ---- calls

  /**
   * A call arrives and the dialplan runs `Stasis(app,args…)`: StasisStart is emitted now.
   * @example
   * const call = emu.originate({ callerNumber: '48600100200', exten: '100', script: [hangUpDuring('notice', 2100)] });
   * expect(await call.outcome()).toMatchObject({ kind: 'hungup', by: 'caller' });
   */
  originate(opts: OriginateOptions = {}): CallHandle {
    const seq = this.#pbx.nextSeq().toString(16).padStart(8, '0');
    const ch = this.#pbx.createChannel({
      id: opts.channelId,
      name: `PJSIP/trunk-${seq}`,
      caller: { name: opts.callerName ?? '', number: opts.callerNumber ?? '' },
      language: opts.language,
      context: opts.context ?? 'from-trunk',
      exten: opts.exten ?? '100',
      state: opts.state ?? 'Ring',
    });
    this.#pbx.enterStasis(ch, opts.app ?? this.app, opts.args ?? [], opts.script);
    this.#notify();
    return this.#handle(ch);
  }

  #handle(ch: Channel): CallHandle {
    const emu = this;
    return {
      id: ch.id,
      enteredStasis: ch.where === 'stasis',
      dtmf: (digit, durationMs) => emu.dtmf(ch.id, digit, durationMs),
      hangup: (cause) => emu.hangup(ch.id, cause),
      variables: () => Object.fromEntries(ch.vars),
      get continuedTo() {
        return ch.continuedTo;
      },
      get hungUp() {
        return ch.hungUp;
      },
      outcome: () => ch.settled(),
    };
  }

  #channel(id: string): Channel {
    const ch = this.#pbx.channels.get(id);
    if (!ch) throw new Error(`emulator: no channel ${id}`);
    return ch;
  }

  /** The caller presses a key (`ChannelDtmfReceived` once it is released). */
  dtmf(channelId: string, digit: string, durationMs = 100): void {
    this.#pbx.dtmf(this.#channel(channelId), digit, durationMs);
    this.#notify();
  }

  /** The caller hangs up: `ChannelHangupRequest`, a playing playback ends `failed`, `StasisEnd`. */
  hangup(channelId: string, cause = 16): void {
    this.#pbx.callerHangup(this.#channel(channelId), cause);
    this.#notify();
  }

  /** Snapshot of a channel, or undefined if the emulator never had it. */
  channel(channelId: string): ChannelView | undefined {
    const ch = this.#pbx.channels.get(channelId);
    if (!ch) return undefined;
    return {
      id: ch.id,
      where: ch.where,
      state: ch.state,
      variables: Object.fromEntries(ch.vars),
      continuedTo: ch.continuedTo,
      hungUp: ch.hungUp,
      outcome: ch.outcome,
      stasisStartAt: ch.stasisStartAt,
      firstPlayAt: ch.firstPlayAt,
      lastDtmfAt: ch.lastDtmfAt,
      continuedAt: ch.continuedAt,
    };
  }

  /** All channels the emulator has seen (including gone ones), oldest first. */
  channels(): ChannelView[] {
    return [...this.#pbx.channels.keys()].map((id) => this.channel(id)!);
  }

  /** Drops channels that are gone or back in the dialplan (long benchmark runs). */
  forgetFinished(): void {
    for (const [id, ch] of this.#pbx.channels) if (ch.where !== 'stasis') this.#pbx.channels.delete(id);
  }

  setPlaybackDuration(media: string, ms: number): void {
    this.#playbackMs.set(media, ms);
  }

  /** `null`: every context exists. */
  setKnownContexts(contexts: readonly string[] | null): void {
    this.#knownContexts = contexts ? new Set(contexts) : null;
  }

  addStoredRecording(name: string, format: string, data: Buffer): void {
    this.#pbx.stored.set(name, { name, format, data });
  }

  storedRecording(name: string): StoredRecording | undefined {
    return this.#pbx.stored.get(name);
  }

  // ---- link faults

  /**
   * Closes every events WebSocket from the server side. Channels stay in Stasis; their
   * events are dropped until a client reconnects, and no StasisStart is repeated.
   */
  dropWebSocket(opts: { refuseReconnectMs?: number } = {}): void {
    this.#refuseUntil = opts.refuseReconnectMs ? Date.now() + opts.refuseReconnectMs : 0;
    for (const set of this.#sockets.values()) for (const ws of set) ws.terminate();
    this.#notify();
  }

  /** The next request(s) matching `rule` are answered with `status` (body `{message}` by default). */
  failNext(rule: FaultRule, status: number, body: unknown = { message: 'Injected fault' }): void {
    this.#faults.arm(rule, { status, body });
  }

  /** The next request(s) matching `rule` are never answered. */
  hangNext(rule: FaultRule): void {
    this.#faults.arm(rule, { hang: true });
  }

  /** The next request(s) matching `rule` are carried out at once but answered only after `ms`. */
  delayAnswerNext(rule: FaultRule, ms: number): void {
    this.#faults.arm(rule, { delayMs: ms });
  }

  /** The next request(s) matching `rule` get their connection destroyed (ECONNRESET). */
  resetNext(rule: FaultRule): void {
    this.#faults.arm(rule, { reset: true });
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  clearLogs(): void {
    this.requests.length = 0;
    this.events.length = 0;
  }

  // ---- waiting

  /** Resolves once `predicate()` holds, re-checked on every event and request. */
  waitFor(predicate: () => boolean, opts: WaitOptions = {}): Promise<void> {
    if (predicate()) return Promise.resolve();
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.#waiters.delete(check);
        clearTimeout(timer);
        clearInterval(poll);
      };
      const check = (): void => {
        if (predicate()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`emulator.waitFor timed out after ${timeoutMs} ms${opts.what ? `: ${opts.what}` : ''}`));
      }, timeoutMs);
      const poll = setInterval(check, 20);
      this.#waiters.add(check);
    });
  }

  /** The first recorded event (past or future) of `type` on `channelId` (any channel when omitted) matching `match`. */
  async waitForEvent(
    type: string,
    opts: WaitOptions & { channelId?: string; match?: (e: RecordedEvent) => boolean } = {},
  ): Promise<RecordedEvent> {
    let found: RecordedEvent | undefined;
    await this.waitFor(
      () => {
        found = this.events.find(
          (e) =>
            e.event.type === type &&
            (opts.channelId === undefined || e.channelId === opts.channelId) &&
            (!opts.match || opts.match(e)),
        );
        return found !== undefined;
      },
      { timeoutMs: opts.timeoutMs, what: opts.what ?? `event ${type}` },
    );
    return found!;
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  // ---- wire

  #deliver(app: string, event: Record<string, unknown>, ch: Channel | null): void {
    const sockets = this.#sockets.get(app);
    let delivered = false;
    if (sockets && sockets.size > 0) {
      const text = JSON.stringify(event);
      for (const ws of sockets) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        ws.send(text);
        delivered = true;
      }
    }
    if (this.#opts.recordEvents !== false) {
      this.events.push({ event: event as RecordedEvent['event'], channelId: ch?.id ?? null, delivered });
    }
    if (this.#waiters.size > 0) this.#notify();
  }

  #authorized(req: IncomingMessage, query: URLSearchParams): boolean {
    return req.headers.authorization === this.#authHeader || query.get('api_key') === this.#apiKey;
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const [path, rawQuery = ''] = (req.url ?? '').split('?', 2);
    const query = new URLSearchParams(rawQuery);
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.#closed) return refuse('503 Service Unavailable');
    if (path !== '/ari/events') return refuse('404 Not Found');
    if (!this.#authorized(req, query)) return refuse('401 Unauthorized');
    if (Date.now() < this.#refuseUntil) return refuse('503 Service Unavailable');
    const apps = (query.get('app') ?? '').split(',').filter(Boolean);
    if (apps.length === 0) return refuse('400 Bad Request');
    this.#sessions.delete(socket as Socket);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attachSocket(apps, ws));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = performance.timeOrigin + performance.now();
    const [rawPath = '', rawQuery = ''] = (req.url ?? '').split('?', 2);
    const search = new URLSearchParams(rawQuery);
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!rawPath.startsWith('/ari/')) return this.#send(res, { status: 404, body: { message: 'Not found' } });
      if (!this.#authorized(req, search)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="Asterisk REST Interface"');
        return this.#send(res, { status: 401, body: { message: 'Authentication required' } });
      }
      const path = rawPath.slice('/ari'.length);
      const docs = /^\/api-docs\/(\w+)\.json$/.exec(path);
      if (docs && method === 'GET') {
        const basePath = `http://${req.headers.host ?? `127.0.0.1:${this.#port}`}/ari`;
        const name = docs[1]!;
        if (name === 'resources') return this.#send(res, { status: 200, body: renderResourceListing(basePath) });
        if ((RESOURCES as string[]).includes(name)) {
          return this.#send(res, { status: 200, body: renderApiDeclaration(name as ResourceName, basePath) });
        }
        return this.#send(res, { status: 404, body: { message: 'Resource not found' } });
      }
      const query: Record<string, string> = {};
      for (const [k, v] of search) if (k !== 'api_key') query[k] = v;
      const entry: RequestLogEntry = { at: Date.now(), method, path, query, status: 0 };
      if (this.#opts.logRequests !== false) this.requests.push(entry);
      const fault = this.#faults.take(method, path);
      const answerDelayMs = fault && 'delayMs' in fault ? fault.delayMs : 0;
      if (fault && !('delayMs' in fault)) {
        if ('hang' in fault) {
          entry.status = 'hang';
          this.#hung.add(res);
          res.on('close', () => this.#hung.delete(res));
        } else if ('reset' in fault) {
          entry.status = 'reset';
          req.socket.destroy();
        } else {
          entry.status = fault.status;
          this.#send(res, { status: fault.status, body: fault.body });
        }
        this.#notify();
        return;
      }
      let body: unknown;
      if (chunks.length > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return this.#send(res, { status: 400, body: { message: 'Invalid JSON body' } });
        }
      }
      const answer = dispatch(this.#rest, method, path, query, body, receivedAt);
      entry.status = answer.status;
      const reply = (): void => {
        if (answerDelayMs) setTimeout(() => !res.destroyed && !this.#closed && this.#send(res, answer), answerDelayMs);
        else this.#send(res, answer);
        answer.after?.();
        this.#notify();
      };
      if (answer.until) void answer.until.then(reply);
      else reply();
    });
  }

  #send(res: ServerResponse, answer: RestAnswer): void {
    if (answer.raw) {
      res.writeHead(answer.status, {
        'Content-Type': answer.raw.contentType,
        'Content-Length': answer.raw.data.length,
        Server: 'Asterisk/22.10.1',
      });
      res.end(answer.raw.data);
      return;
    }
    if (answer.body === undefined) {
      res.writeHead(answer.status, { 'Content-Length': 0, Server: 'Asterisk/22.10.1' });
      res.end();
      return;
    }
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, jsonHeaders(Buffer.byteLength(text)));
    res.end(text);
  }

  /** Stops timers, closes every socket and the server. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pbx.shutdown();
    for (const set of this.#sockets.values()) for (const ws of set) ws.terminate();
    for (const res of this.#hung) res.socket?.destroy();
    this.#wss.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}


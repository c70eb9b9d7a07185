/**
 * Watches MixMonitor recordings over AMI and turns Asterisk's events into domain events. This file
 * holds the connection (login, reconnects, actions); protocol.ts translates AMI messages and
 * recording-tracker.ts follows each channel's recording.
 *
 * What Asterisk 22 sends: `VarSet MIXMONITOR_FILENAME` just before
 * `MixMonitorStart` (which carries no file name); `MixMonitorStop` only on an explicit stop; a plain
 * hang-up gives only `Hangup`, and that is when the file is closed.
 *
 * Reconnection policy:
 * - connection refused / reset / dropped: retry for ever, exponential backoff with jitter
 *   (Asterisk restarts are normal; ConsentLine must pick up again on its own);
 * - authentication failed: retry slowly (`authRetryMs`, default 60 s) and give up after
 *   `maxAuthFailures` (default 5). A wrong secret does not fix itself quickly, Asterisk answers each
 *   failure only after 1 s and raises a security event, and tools like fail2ban ban hosts that keep
 *   failing. Giving up emits `gaveUp` so health checks can report it; restart after fixing the secret.
 *
 * Least privilege: the AMI user needs `read = call,dialplan` (MixMonitor*, Hangup: call; VarSet:
 * dialplan) and `write = call` for Getvar. Only the AMI start mode (`mixMonitor`) needs
 * `write = system` (Asterisk registers the MixMonitor action under `system`).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/log.js';
import type { TlsClientOptions } from '../../config/tls.js';
import type { AmiWatcherEventName, AmiWatcherEvents } from './events.js';
import { translateCel } from './cel.js';
import { createManagerConnector } from './manager-connector.js';
import type { ActionOutcome, AmiConnector, AmiFields, AmiSession } from './port.js';
import { getVarAction, mixMonitorAction, mixMonitorRefusal, toGetVarOutcome, toMixMonitorOutcome, translateAmiEvent, type GetVarOutcome, type MixMonitorOutcome } from './protocol.js';
import { RecordingTracker, type ActiveRecording } from './recording-tracker.js';

export type { GetVarOutcome, MixMonitorOutcome } from './protocol.js';
export type { ActiveRecording } from './recording-tracker.js';

export interface AmiWatcherConfig {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  /** AMI over TLS: certificate checks. */
  readonly tls?: TlsClientOptions;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly authRetryMs?: number;
  readonly maxAuthFailures?: number;
  /** TCP connect plus login. */
  readonly loginTimeoutMs?: number;
  readonly actionTimeoutMs?: number;
}

export interface AmiWatcherDeps {
  readonly logger: Logger;
  /** Defaults to asterisk-manager. */
  readonly connector?: AmiConnector;
  /** For jitter; tests may pin it. */
  readonly random?: () => number;
}

export const AMI_WATCHER_DEFAULTS = Object.freeze({
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  authRetryMs: 60_000,
  maxAuthFailures: 5,
  loginTimeoutMs: 10_000,
  actionTimeoutMs: 5_000,
});

export type AmiWatcherState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'gave-up' | 'stopped';

export interface AmiWatcher {
  readonly connected: boolean;
  readonly state: AmiWatcherState;
  /** Starts connecting; returns at once. Reconnects on its own until {@link stop}. */
  start(): void;
  /** Stops retrying and closes the session. Recording state is kept (nothing is emitted). */
  stop(): Promise<void>;
  /** Subscribes; returns the unsubscribe function. A throwing listener is logged, never fatal. */
  on<K extends AmiWatcherEventName>(event: K, listener: (e: AmiWatcherEvents[K]) => void): () => void;
  /**
   * The alternative start mode: AMI `MixMonitor` on `channel` into `file`, a bare name under
   * Asterisk's monitor dir matching the spool name pattern (never built from caller ID).
   * `accepted` means Asterisk answered Success; `recordingStarted` follows as an event.
   */
  mixMonitor(channel: string, file: string): Promise<MixMonitorOutcome>;
  /** AMI `Getvar`: a channel variable or function (e.g. `CHANNEL(linkedid)`). */
  getVar(channel: string, name: string): Promise<GetVarOutcome>;
  /** Recordings started and not yet ended, as the watcher knows them. */
  activeRecordings(): readonly ActiveRecording[];
  /** Any other action on the current session (recording control: MixMonitorMute, StopMixMonitor, Setvar). */
  send(fields: Readonly<Record<string, string>>, timeoutMs?: number): Promise<ActionOutcome>;
}

/**
 * @example
 * const watcher = createAmiWatcher(
 *   { host: '127.0.0.1', port: 5038, username: 'consentline', secret },
 *   { logger },
 * );
 * watcher.on('recordingStopped', (e) => spool.enqueue(e));
 * watcher.start();
 */
export function createAmiWatcher(config: AmiWatcherConfig, deps: AmiWatcherDeps): AmiWatcher {
  const log = deps.logger.child({ component: 'ami-watcher' });
  const connector = deps.connector ?? createManagerConnector();
  const random = deps.random ?? Math.random;
  const opts = Object.freeze({
    initialBackoffMs: config.backoff?.initialMs ?? AMI_WATCHER_DEFAULTS.initialBackoffMs,
    maxBackoffMs: config.backoff?.maxMs ?? AMI_WATCHER_DEFAULTS.maxBackoffMs,
    authRetryMs: config.authRetryMs ?? AMI_WATCHER_DEFAULTS.authRetryMs,
    maxAuthFailures: config.maxAuthFailures ?? AMI_WATCHER_DEFAULTS.maxAuthFailures,
    loginTimeoutMs: config.loginTimeoutMs ?? AMI_WATCHER_DEFAULTS.loginTimeoutMs,
    actionTimeoutMs: config.actionTimeoutMs ?? AMI_WATCHER_DEFAULTS.actionTimeoutMs,
  });

  const emitter = new EventEmitter();
  let state: AmiWatcherState = 'idle';
  let session: AmiSession | null = null;
  let timer: NodeJS.Timeout | null = null;
  let everConnected = false;
  let netFailures = 0;
  let authFailures = 0;
  let attempt = 0;

  function emit<K extends AmiWatcherEventName>(event: K, payload: AmiWatcherEvents[K]): void {
    for (const listener of emitter.listeners(event)) {
      try {
        (listener as (e: AmiWatcherEvents[K]) => void)(payload);
      } catch (err) {
        log.error({ err, event }, 'AMI watcher listener threw; event delivery goes on');
      }
    }
  }

  const tracker = new RecordingTracker({ log, emit, getVar });

  // ------------------------------------------------------------------ connection

  function schedule(delayMs: number): void {
    state = 'waiting';
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delayMs);
  }

  function backoffDelay(): number {
    const exp = Math.min(opts.maxBackoffMs, opts.initialBackoffMs * 2 ** Math.max(0, netFailures - 1));
    // Jitter in [50 %, 100 %] so many ConsentLine instances do not reconnect in lockstep.
    return Math.round(exp * (0.5 + random() * 0.5));
  }

  async function connect(): Promise<void> {
    if (state === 'stopped' || state === 'gave-up') return;
    state = 'connecting';
    attempt++;
    let outcome;
    try {
      outcome = await connector.connect(
        {
          host: config.host,
          port: config.port,
          username: config.username,
          secret: config.secret,
          timeoutMs: opts.loginTimeoutMs,
          tls: config.tls,
        },
        { onEvent, onClose },
      );
    } catch (err) {
      outcome = { status: 'unreachable', message: err instanceof Error ? err.message : String(err) } as const;
    }
    // stop() may have run while we were connecting.
    if ((state as AmiWatcherState) === 'stopped') {
      if (outcome.status === 'ok') outcome.session.close();
      return;
    }
    switch (outcome.status) {
      case 'ok': {
        const reconnect = everConnected;
        session = outcome.session;
        state = 'connected';
        everConnected = true;
        netFailures = 0;
        authFailures = 0;
        log.info({ attempt, reconnect, username: config.username }, 'AMI connected and logged in');
        emit('connected', { reconnect });
        if (reconnect) void reconcile(outcome.session);
        return;
      }
      case 'auth-failed': {
        authFailures++;
        emit('authFailed', { failures: authFailures, message: outcome.message });
        if (authFailures >= opts.maxAuthFailures) {
          state = 'gave-up';
          log.error(
            { username: config.username, failures: authFailures },
            'AMI login refused again; giving up. Fix the AMI username/secret (manager.conf and ConsentLine config) and restart',
          );
          emit('gaveUp', { reason: 'auth' });
          return;
        }
        log.error(
          { username: config.username, failures: authFailures, retryInMs: opts.authRetryMs, asterisk: outcome.message },
          'AMI login refused: wrong username or secret; retrying slowly',
        );
        schedule(opts.authRetryMs);
        return;
      }
      case 'unreachable': {
        netFailures++;
        const delay = backoffDelay();
        log.warn(
          { host: config.host, port: config.port, failures: netFailures, retryInMs: delay, error: outcome.message },
          'AMI unreachable; retrying',
        );
        schedule(delay);
        return;
      }
    }
  }

  function onClose(reason: string): void {
    session = null;
    if (state === 'stopped') return;
    log.warn(
      { reason, activeRecordings: tracker.countRecording(), retryInMs: opts.initialBackoffMs },
      'AMI connection lost; events are missed until it is back',
    );
    emit('disconnected', { reason });
    schedule(opts.initialBackoffMs);
  }

  /** After a reconnect: the tracker asks, on this session, what happened while AMI was down. */
  async function reconcile(s: AmiSession): Promise<void> {
    const ask = async (channel: string, variable: string): Promise<GetVarOutcome> =>
      toGetVarOutcome(await s.action(getVarAction(channel, variable), opts.actionTimeoutMs));
    await tracker.reconcile(ask, () => session === s);
  }

  function onEvent(ev: AmiFields): void {
    const cel = translateCel(ev);
    if (cel) return emit('cel', cel);
    const message = translateAmiEvent(ev);
    if (message) tracker.handle(message);
  }

  // ------------------------------------------------------------------ actions

  async function getVar(channel: string, name: string): Promise<GetVarOutcome> {
    const s = session;
    if (!s) return { status: 'not-connected' };
    return toGetVarOutcome(await s.action(getVarAction(channel, name), opts.actionTimeoutMs));
  }

  async function mixMonitor(channel: string, file: string): Promise<MixMonitorOutcome> {
    const refusal = mixMonitorRefusal(channel, file);
    if (refusal) return refusal;
    const s = session;
    if (!s) return { status: 'not-connected' };
    return toMixMonitorOutcome(await s.action(mixMonitorAction(channel, file), opts.actionTimeoutMs));
  }

  return {
    get connected() {
      return state === 'connected';
    },
    get state() {
      return state;
    },
    start() {
      if (state !== 'idle') return;
      void connect();
    },
    async stop() {
      state = 'stopped';
      if (timer) clearTimeout(timer);
      timer = null;
      const s = session;
      session = null;
      s?.close();
    },
    on(event, listener) {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
    mixMonitor,
    getVar,
    activeRecordings() {
      return tracker.active();
    },
    async send(fields, timeoutMs = opts.actionTimeoutMs) {
      return session ? session.action(fields, timeoutMs) : { status: 'not-connected' };
    },
  };
}

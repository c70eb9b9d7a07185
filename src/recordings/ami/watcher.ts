/**
 * Watches MixMonitor recordings over AMI and turns Asterisk's events into domain events.
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
import type { TlsClientOptions } from '../../shared/tls.js';
import type { AmiWatcherEventName, AmiWatcherEvents } from './events.js';
import { createManagerConnector } from './manager-connector.js';
import type { AmiConnector, AmiFields, AmiSession } from './port.js';
import { isSafeRecordingName } from './spool-path.js';

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

export type GetVarOutcome =
  | { readonly status: 'ok'; readonly value: string }
  | { readonly status: 'error'; readonly message: string }
  | { readonly status: 'not-connected' }
  | { readonly status: 'timeout' };

export type MixMonitorOutcome =
  | { readonly status: 'accepted' }
  | { readonly status: 'rejected'; readonly reason: 'invalid-file' | 'invalid-channel' }
  | { readonly status: 'error'; readonly message: string }
  | { readonly status: 'not-connected' }
  | { readonly status: 'timeout' };

export interface ActiveRecording {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly consentId?: string;
  readonly file?: string;
}

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

const CONSENT_PREFIX = 'CONSENT_';
const FILENAME_VAR = 'MIXMONITOR_FILENAME';
/** Read again after a reconnect, in this order: the call id first, then the decision. */
const RECONCILED_VARS = ['CONSENT_ID', 'CONSENT_RECORDING'] as const;

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
  const channels = new Map<string, ChannelTrack>();
  const calls = new Map<string, CallTrack>();
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
      { reason, activeRecordings: countRecording(), retryInMs: opts.initialBackoffMs },
      'AMI connection lost; events are missed until it is back',
    );
    emit('disconnected', { reason });
    schedule(opts.initialBackoffMs);
  }

  function countRecording(): number {
    let n = 0;
    for (const t of channels.values()) if (t.recording) n++;
    return n;
  }

  /**
   * Events sent while AMI was down are lost and not replayed. For each channel still tracked, ask
   * Asterisk whether it is still there; a gone channel with an active recording has hung up,
   * so its file is closed.
   */
  async function reconcile(s: AmiSession): Promise<void> {
    const tracked = [...channels.values()];
    let ended = 0;
    for (const t of tracked) {
      if (session !== s) return;
      const r = await s.action({ Action: 'Getvar', Channel: t.channel, Variable: 'UNIQUEID' }, opts.actionTimeoutMs);
      if (r.status === 'not-connected' || r.status === 'timeout') return;
      const gone = r.status === 'error' || r.fields['value'] !== t.uniqueid;
      if (gone) {
        if (t.recording) {
          ended++;
          endRecording(t, 'hangup', true);
        }
        forget(t);
      } else {
        if (t.recording && t.file === undefined) void lookUpFile(t);
        await rereadConsent(s, t);
      }
    }
    log.info({ tracked: tracked.length, endedWhileDown: ended }, 'AMI state reconciled after reconnect');
  }

  /**
   * Consent variables set while AMI was down (capture mode `ami` starts MixMonitor on them): read
   * them again on a channel that is still up, and report those that changed.
   */
  async function rereadConsent(s: AmiSession, t: ChannelTrack): Promise<void> {
    for (const name of RECONCILED_VARS) {
      if (session !== s) return;
      const r = await s.action({ Action: 'Getvar', Channel: t.channel, Variable: name }, opts.actionTimeoutMs);
      if (r.status !== 'success') continue;
      const value = r.fields['value'] ?? '';
      if (value === '' || consentOf(t, name) === value) continue;
      t.consent.set(name, value);
      calls.get(t.linkedid)?.consent.set(name, value);
      emit('consentVar', { channel: t.channel, uniqueid: t.uniqueid, linkedid: t.linkedid, name, value });
    }
  }

  // ------------------------------------------------------------------ correlation

  function track(ev: AmiFields): ChannelTrack | null {
    const uniqueid = ev['uniqueid'];
    if (!uniqueid) return null;
    const existing = channels.get(uniqueid);
    if (existing) {
      if (ev['channel']) existing.channel = ev['channel'];
      return existing;
    }
    const linkedid = ev['linkedid'] || uniqueid;
    const t: ChannelTrack = {
      channel: ev['channel'] ?? '',
      uniqueid,
      linkedid,
      consent: new Map(),
      file: undefined,
      recording: false,
    };
    channels.set(uniqueid, t);
    let call = calls.get(linkedid);
    if (!call) {
      call = { consent: new Map(), channels: new Set() };
      calls.set(linkedid, call);
    }
    call.channels.add(uniqueid);
    return t;
  }

  function forget(t: ChannelTrack): void {
    channels.delete(t.uniqueid);
    const call = calls.get(t.linkedid);
    if (!call) return;
    call.channels.delete(t.uniqueid);
    if (call.channels.size === 0) calls.delete(t.linkedid);
  }

  function consentOf(t: ChannelTrack, name: string): string | undefined {
    return t.consent.get(name) ?? calls.get(t.linkedid)?.consent.get(name);
  }

  function endRecording(t: ChannelTrack, reason: 'stopped' | 'hangup', recovered = false): void {
    t.recording = false;
    const consentId = consentOf(t, 'CONSENT_ID');
    log.info({ linkedid: t.linkedid, uniqueid: t.uniqueid, reason, recovered }, 'recording ended');
    emit('recordingStopped', {
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

  function fileKnown(t: ChannelTrack): void {
    if (t.file === undefined) return;
    emit('recordingFileKnown', { channel: t.channel, uniqueid: t.uniqueid, linkedid: t.linkedid, path: t.file });
  }

  /** The start was seen but not the VarSet before it (e.g. it fell in an AMI outage): ask. */
  async function lookUpFile(t: ChannelTrack): Promise<void> {
    const r = await getVar(t.channel, FILENAME_VAR);
    if (r.status !== 'ok' || r.value === '') return;
    if (!t.recording || t.file !== undefined || channels.get(t.uniqueid) !== t) return;
    t.file = r.value;
    fileKnown(t);
  }

  function onEvent(ev: AmiFields): void {
    const name = (ev['event'] ?? '').toLowerCase();
    switch (name) {
      case 'varset':
        onVarSet(ev);
        return;
      case 'mixmonitorstart': {
        const t = track(ev);
        if (!t) return;
        if (t.recording) {
          log.debug({ linkedid: t.linkedid, uniqueid: t.uniqueid }, 'duplicate MixMonitorStart ignored');
          return;
        }
        t.recording = true;
        const consentId = consentOf(t, 'CONSENT_ID');
        const consentRecording = consentOf(t, 'CONSENT_RECORDING');
        const logFields = { linkedid: t.linkedid, uniqueid: t.uniqueid, consentId, fileKnown: t.file !== undefined };
        if (consentRecording !== 'yes') log.warn(logFields, 'recording started without CONSENT_RECORDING=yes on the call');
        else log.info(logFields, 'recording started');
        emit('recordingStarted', {
          channel: t.channel,
          uniqueid: t.uniqueid,
          linkedid: t.linkedid,
          ...(consentId !== undefined ? { consentId } : {}),
          ...(consentRecording !== undefined ? { consentRecording } : {}),
          ...(t.file !== undefined ? { file: t.file } : {}),
        });
        if (t.file !== undefined) fileKnown(t);
        else void lookUpFile(t);
        return;
      }
      case 'mixmonitorstop': {
        const t = channels.get(ev['uniqueid'] ?? '');
        if (t?.recording) endRecording(t, 'stopped');
        return;
      }
      case 'hangup': {
        const t = channels.get(ev['uniqueid'] ?? '');
        if (!t) return;
        if (t.recording) endRecording(t, 'hangup');
        forget(t);
        return;
      }
      default:
        return;
    }
  }

  function onVarSet(ev: AmiFields): void {
    const rawName = ev['variable'] ?? '';
    const varName = rawName.replace(/^_{1,2}/, '');
    const value = ev['value'] ?? '';
    if (varName === FILENAME_VAR) {
      const t = track(ev);
      if (!t) return;
      const changed = t.file !== value;
      t.file = value;
      // Normally this precedes MixMonitorStart and rides on recordingStarted; late or changed names go out now.
      if (t.recording && changed) fileKnown(t);
      return;
    }
    if (!varName.startsWith(CONSENT_PREFIX)) return;
    const t = track(ev);
    if (!t) return;
    t.consent.set(varName, value);
    calls.get(t.linkedid)?.consent.set(varName, value);
    emit('consentVar', { channel: t.channel, uniqueid: t.uniqueid, linkedid: t.linkedid, name: varName, value });
  }

  // ------------------------------------------------------------------ actions

  async function getVar(channel: string, name: string): Promise<GetVarOutcome> {
    const s = session;
    if (!s) return { status: 'not-connected' };
    const r = await s.action({ Action: 'Getvar', Channel: channel, Variable: name }, opts.actionTimeoutMs);
    if (r.status === 'success') return { status: 'ok', value: r.fields['value'] ?? '' };
    return r.status === 'error' ? { status: 'error', message: r.message } : r;
  }

  async function mixMonitor(channel: string, file: string): Promise<MixMonitorOutcome> {
    if (!isSafeRecordingName(file)) return { status: 'rejected', reason: 'invalid-file' };
    if (channel === '' || /[\r\n\0]/.test(channel)) return { status: 'rejected', reason: 'invalid-channel' };
    const s = session;
    if (!s) return { status: 'not-connected' };
    const r = await s.action({ Action: 'MixMonitor', Channel: channel, File: file }, opts.actionTimeoutMs);
    if (r.status === 'success') return { status: 'accepted' };
    return r.status === 'error' ? { status: 'error', message: r.message } : r;
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
      const out: ActiveRecording[] = [];
      for (const t of channels.values()) {
        if (!t.recording) continue;
        const consentId = consentOf(t, 'CONSENT_ID');
        out.push({
          channel: t.channel,
          uniqueid: t.uniqueid,
          linkedid: t.linkedid,
          ...(consentId !== undefined ? { consentId } : {}),
          ...(t.file !== undefined ? { file: t.file } : {}),
        });
      }
      return out;
    },
  };
}

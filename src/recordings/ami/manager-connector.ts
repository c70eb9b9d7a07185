/**
 * asterisk-manager 0.2.0 behind the {@link AmiConnector} port.
 *
 * Why each session gets a fresh Manager and we never use the library's own reconnect:
 * - its `keepConnected()` retries every 10–60 s with `console.log`, and logs in with a callback that
 *   drops the login result, so a wrong secret is silent;
 * - actions sent while it is not logged in are parked in a queue that is never flushed or failed,
 *   and actions whose connection drops never get a callback.
 * So the watcher owns reconnection, and this adapter settles every action itself
 * (response, timeout, or `not-connected` when the connection ends).
 */
import Manager from 'asterisk-manager';
import type { RawAmiMessage } from 'asterisk-manager';
import type { ActionOutcome, AmiConnector, AmiFields, AmiSession, AmiSessionHandlers, AmiTarget, ConnectOutcome } from './port.js';
import { openTlsRelay, type TlsRelay } from './tls-relay.js';

/**
 * Flattens the library's message shape into lower-cased string fields.
 * `variable` arrives as `{ NAME: "" }` (the library splits the line on `=`): it becomes `"NAME"`,
 * or `"NAME=value"` when a value was attached. Repeated keys keep their first value, as Asterisk's
 * own header lookup does.
 */
export function normalizeAmiMessage(raw: RawAmiMessage | undefined): AmiFields {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value[0] ?? '';
    else {
      const [first] = Object.entries(value);
      if (first) out[key] = first[1] === '' ? first[0] : `${first[0]}=${first[1]}`;
    }
  }
  return out;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** AMI is line-based: a CR, LF or NUL in a value would smuggle extra headers into the action. */
const UNSAFE_VALUE = /[\r\n\0]/;

export function createManagerConnector(): AmiConnector {
  let actionSeq = 0;
  return {
    async connect(target, handlers) {
      let relay: TlsRelay | undefined;
      if (target.tls) {
        try {
          relay = await openTlsRelay(target.host, target.port, target.tls, target.timeoutMs);
        } catch (err) {
          return { status: 'unreachable', message: `TLS: ${describe(err)}` };
        }
      }
      const outcome = await openSession(relay ? { ...target, host: '127.0.0.1', port: relay.port } : target, handlers, () => ++actionSeq);
      if (relay && outcome.status !== 'ok') relay.close();
      return outcome;
    },
  };
}

function openSession(target: AmiTarget, handlers: AmiSessionHandlers, nextAction: () => number): Promise<ConnectOutcome> {
  return new Promise<ConnectOutcome>((resolve) => {
    const mgr = Manager(undefined, target.host, target.username, target.secret, true);
    let phase: 'connecting' | 'login' | 'open' | 'closed' = 'connecting';
    let lastError: string | undefined;
    const early: AmiFields[] = [];
    const pending = new Map<string, (o: ActionOutcome) => void>();

    const settleAll = (): void => {
      for (const settle of pending.values()) settle({ status: 'not-connected' });
      pending.clear();
    };

    const session: AmiSession = {
      action(fields, timeoutMs) {
        if (phase !== 'open') return Promise.resolve({ status: 'not-connected' });
        for (const v of Object.values(fields)) {
          if (UNSAFE_VALUE.test(v)) {
            return Promise.resolve({ status: 'error', message: 'value contains CR, LF or NUL', fields: {} });
          }
        }
        const id = `cl-${nextAction()}-${Date.now().toString(36)}`;
        return new Promise<ActionOutcome>((settle) => {
          const timer = setTimeout(() => {
            if (!pending.delete(id)) return;
            mgr.removeAllListeners(id);
            settle({ status: 'timeout' });
          }, timeoutMs);
          pending.set(id, (o) => {
            clearTimeout(timer);
            settle(o);
          });
          const request: Record<string, string> = { actionid: id };
          for (const [k, v] of Object.entries(fields)) request[k.toLowerCase()] = v;
          mgr.action(request, (err, res) => {
            const done = pending.get(id);
            if (!done) return;
            pending.delete(id);
            const f = normalizeAmiMessage(res ?? err);
            done(err ? { status: 'error', message: f['message'] ?? 'error', fields: f } : { status: 'success', fields: f });
          });
        });
      },
      close() {
        if (phase === 'closed') return;
        phase = 'closed';
        clearTimeout(loginTimer);
        settleAll();
        mgr.disconnect();
      },
    };

    const loginTimer = setTimeout(() => {
      if (phase === 'open' || phase === 'closed') return;
      phase = 'closed';
      mgr.disconnect();
      resolve({ status: 'unreachable', message: `no login answer within ${target.timeoutMs} ms` });
    }, target.timeoutMs);

    mgr.on('error', (err) => {
      lastError = describe(err);
    });
    mgr.on('close', () => {
      if (phase === 'closed') return;
      const was = phase;
      phase = 'closed';
      clearTimeout(loginTimer);
      settleAll();
      if (was === 'open') handlers.onClose(lastError ?? 'connection closed by Asterisk');
      else resolve({ status: 'unreachable', message: lastError ?? 'connection closed before login' });
    });
    mgr.on('managerevent', (raw) => {
      const ev = normalizeAmiMessage(raw);
      if (phase === 'open') handlers.onEvent(ev);
      // The login callback runs a tick after the events that arrived with its response.
      else if (phase === 'login') early.push(ev);
    });

    mgr.connect(target.port, target.host, () => {
      if (phase === 'closed') {
        mgr.disconnect();
        return;
      }
      phase = 'login';
      mgr.login((err) => {
        if (phase !== 'login') return;
        clearTimeout(loginTimer);
        if (err) {
          phase = 'closed';
          mgr.disconnect();
          resolve({ status: 'auth-failed', message: normalizeAmiMessage(err)['message'] ?? 'login refused' });
          return;
        }
        phase = 'open';
        resolve({ status: 'ok', session });
        // Deliver what arrived with the login response once the caller holds the session.
        queueMicrotask(() => {
          for (const ev of early.splice(0)) if (phase === 'open') handlers.onEvent(ev);
        });
      });
    });
  });
}

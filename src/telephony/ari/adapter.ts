import type { AriListenConfig } from '../../config/tls-schema.js';
import type { Logger } from '../../shared/log.js';
import type { TlsClientOptions } from '../../config/tls.js';
import { AriLink, type AriEventsConnector, type AriLinkHooks } from './connection.js';
import { channelInfo, translateEvent } from './events.js';
import { AriOutboundServer } from './outbound.js';
import { AriRequestError, type AriAppEvents, type AriPort, type ChannelInfo } from './port.js';
import { AriRest, type AriRestAnswer, type AriRestCall } from './rest.js';
import { wsEventsConnector } from './ws-events.js';

export interface AriAdapterOptions {
  /** Asterisk's HTTP server, `http://host:8088` (a trailing `/ari` is accepted). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** The Stasis application name the dialplan sends calls to. */
  readonly app: string;
  /** Deadline of every REST request; default 3000 ms. */
  readonly requestTimeoutMs?: number;
  readonly logger: Logger;
  /** Backoff between connection attempts while Asterisk does not answer; default 500 ms doubling to 10 s. */
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Deadline for loading the API documents on connect; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Parallel HTTP connections to Asterisk; default 64 (below Asterisk's default http.conf sessionlimit of 100). */
  readonly maxSockets?: number;
  /**
   * How long a `continue` Asterisk does not confirm (no answer, 5xx) is retried, with backoff
   * from `initialDelayMs` doubling to `maxDelayMs`; default 60 s, 100 ms to 2 s.
   */
  readonly continueRetry?: { readonly windowMs?: number; readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** How to make the events WebSocket client; ws-events.ts by default (tests wrap it). */
  readonly connectClient?: AriEventsConnector;
  /** Certificate checks for an `https://` url (REST and the wss:// events WebSocket). */
  readonly tls?: TlsClientOptions;
  /** Outbound mode: listen for Asterisk's WebSocket instead of connecting; `url` is then not used. */
  readonly listen?: AriListenConfig;
}

/** Where REST requests go: Asterisk's HTTP server, or the outbound WebSocket. */
interface AriTransport {
  call(c: AriRestCall): Promise<AriRestAnswer>;
}

/** Where events come from: the events WebSocket ConsentLine opens, or the one Asterisk opens. */
interface AriEventSource {
  start(hooks: AriLinkHooks): Promise<void>;
  readonly up: boolean;
  close(): Promise<void>;
}

const enc = encodeURIComponent;
/** Names and values ARRAY() takes as they are (no separator, quote, escape or blank to mangle). */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLAIN_VALUE = /^[A-Za-z0-9_.:+@-]*$/;

/**
 * {@link AriPort} over Asterisk ARI: events through one WebSocket (`ws`, ws-events.ts), commands
 * over keep-alive HTTP (rest.ts); no API documents are loaded, no swagger client is built.
 *
 * @example
 * const ari = new AriAdapter({ url: 'http://127.0.0.1:8088', username: 'consentline', password, app: 'consentline', logger });
 * await ari.start({ onStasisStart, onChannelEvent, onConnected, onDisconnected });
 * await ari.play(channel.id, 'pb-1', 'sound:notice', 'pl');
 */
export class AriAdapter implements AriPort {
  readonly #app: string;
  readonly #rest: AriTransport & { close?(): void };
  readonly #link: AriEventSource;
  readonly #log: Logger;
  readonly #continueRetry: { readonly windowMs: number; readonly initialDelayMs: number; readonly maxDelayMs: number };
  #closed = false;

  constructor(opts: AriAdapterOptions) {
    this.#continueRetry = { windowMs: 60_000, initialDelayMs: 100, maxDelayMs: 2000, ...opts.continueRetry };
    const baseUrl = opts.url.replace(/\/+$/, '').replace(/\/ari$/, '');
    this.#app = opts.app;
    this.#log = opts.logger.child({ component: 'ari' });
    const requestTimeoutMs = opts.requestTimeoutMs ?? 3000;
    if (opts.listen) {
      const server = new AriOutboundServer({ listen: opts.listen, username: opts.username, password: opts.password, timeoutMs: requestTimeoutMs, logger: this.#log });
      this.#rest = server;
      this.#link = server;
      return;
    }
    const rest = new AriRest({
      baseUrl,
      username: opts.username,
      password: opts.password,
      timeoutMs: requestTimeoutMs,
      maxSockets: opts.maxSockets,
      tls: opts.tls,
    });
    this.#rest = rest;
    this.#link = new AriLink({
      url: baseUrl,
      username: opts.username,
      password: opts.password,
      app: opts.app,
      logger: this.#log,
      connect: opts.connectClient ?? wsEventsConnector(opts.tls),
      probe: async () => {
        await rest.call({ operation: 'api-docs', method: 'GET', path: '/api-docs/resources.json', idempotent: true });
      },
      initialDelayMs: opts.retry?.initialDelayMs ?? 500,
      maxDelayMs: opts.retry?.maxDelayMs ?? 10_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    });
  }

  get connected(): boolean {
    return this.#link.up;
  }

  /** Resolves once the events WebSocket is first open; keeps reconnecting until {@link close}. */
  start(events: AriAppEvents): Promise<void> {
    return this.#link.start({
      onEvent: (raw) => {
        if (raw.application !== undefined && raw.application !== this.#app) return;
        const t = translateEvent(raw);
        if (!t) return;
        if (t.kind === 'start') events.onStasisStart(t.channel);
        else events.onChannelEvent(t.channelId, t.event);
      },
      onUp: (reconnect) => events.onConnected(reconnect),
      onDown: (reason) => events.onDisconnected(reason),
    });
  }

  async answer(channelId: string): Promise<void> {
    await this.#call('channels.answer', 'POST', `/channels/${enc(channelId)}/answer`, undefined, true);
  }

  async play(channelId: string, playbackId: string, media: string, lang: string): Promise<void> {
    await this.#call('channels.play', 'POST', `/channels/${enc(channelId)}/play`, { media, lang, playbackId }, false);
  }

  async stopPlayback(playbackId: string): Promise<void> {
    await this.#call('playbacks.stop', 'DELETE', `/playbacks/${enc(playbackId)}`, undefined, true);
  }

  async setVariable(channelId: string, name: string, value: string): Promise<void> {
    await this.#call(
      'channels.setChannelVar',
      'POST',
      `/channels/${enc(channelId)}/variable`,
      { variable: name, value },
      true,
    );
  }

  /**
   * One `setChannelVar` request naming `ARRAY(A,B,…)` with the value `a,b,…`: Asterisk writes a
   * variable name ending in `)` through the dialplan function (pbx_builtin_setvar_helper), and
   * ARRAY sets each variable in order, so the dialplan sees the same variables (and the same
   * ChannelVarset events) as from one request each, on every Asterisk since 1.4. Values that
   * ARRAY would split or unquote (comma, quote, backslash, blank) go one request each, in order.
   */
  async setVariables(channelId: string, vars: ReadonlyArray<readonly [name: string, value: string]>): Promise<void> {
    if (vars.length > 1 && vars.every(([name, value]) => PLAIN_NAME.test(name) && PLAIN_VALUE.test(value))) {
      await this.setVariable(channelId, `ARRAY(${vars.map(([n]) => n).join(',')})`, vars.map(([, v]) => v).join(','));
      return;
    }
    for (const [name, value] of vars) await this.setVariable(channelId, name, value);
  }

  /**
   * Resolves once Asterisk confirms (2xx), or answers 409 to a retry (an earlier attempt went
   * through: the channel left Stasis). No answer or a 5xx is retried with backoff for the retry
   * window: a caller is never left in Stasis because one request was lost. 404 (caller gone)
   * and other refusals reject at once.
   */
  async continueInDialplan(
    channelId: string,
    target: { context: string; extension: string; priority: number },
  ): Promise<void> {
    const { windowMs, initialDelayMs, maxDelayMs } = this.#continueRetry;
    const deadline = Date.now() + windowMs;
    const query = { context: target.context, extension: target.extension, priority: target.priority };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#call('channels.continueInDialplan', 'POST', `/channels/${enc(channelId)}/continue`, query, false);
        if (attempt > 1) this.#log.info({ channel: channelId, attempt }, 'ARI: continue confirmed after retries');
        return;
      } catch (err) {
        if (!(err instanceof AriRequestError)) throw err;
        if (err.status === 409 && attempt > 1) return;
        const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
        if (!(err.status === 0 || err.status >= 500) || this.#closed || Date.now() + delayMs > deadline) {
          if (attempt > 1) this.#log.error({ channel: channelId, attempt, err: err.message }, 'ARI: continue never confirmed; the caller may still be in Stasis');
          throw err;
        }
        const level = attempt === 1 ? 'warn' : 'debug';
        this.#log[level]({ channel: channelId, attempt, delayMs, err: err.message }, 'ARI: continue not confirmed, retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async hangup(channelId: string): Promise<void> {
    await this.#call('channels.hangup', 'DELETE', `/channels/${enc(channelId)}`, undefined, true);
  }

  async listAppChannels(): Promise<string[]> {
    const body = await this.#call('applications.get', 'GET', `/applications/${enc(this.#app)}`, undefined, true);
    const ids = (body as { channel_ids?: unknown } | null)?.channel_ids;
    return Array.isArray(ids) ? ids.map(String) : [];
  }

  async getChannel(channelId: string): Promise<ChannelInfo | null> {
    try {
      const body = await this.#call('channels.get', 'GET', `/channels/${enc(channelId)}`, undefined, true);
      return channelInfo(body);
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) return null;
      throw err;
    }
  }

  async #call(
    operation: string,
    method: AriRestCall['method'],
    path: string,
    query: AriRestCall['query'],
    idempotent: boolean,
  ): Promise<unknown> {
    try {
      return (await this.#rest.call({ operation, method, path, query, idempotent })).body;
    } catch (err) {
      if (err instanceof AriRequestError && err.status === 0) {
        this.#log.warn({ operation, err: err.message }, 'ARI: request failed without an answer');
      }
      throw err;
    }
  }

  /** Closes the WebSocket and the HTTP connections; no reconnects afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#link.close();
    this.#rest.close?.();
  }
}

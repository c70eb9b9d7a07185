import type { Logger } from '../../shared/log.js';
import type { RawAriEvent } from './events.js';

/**
 * One events WebSocket (`/ari/events?app=…`) as the link drives it: `*` per event,
 * `WebSocketConnected` once open, `WebSocketReconnecting` / `WebSocketMaxRetries` when lost
 * (see ws-events.ts, the one in use; tests wrap it).
 */
export interface AriEventsClient {
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
  start(app: string): PromiseLike<unknown>;
  stop(): void;
}

/** Makes an events client for the ARI base url. */
export type AriEventsConnector = (url: string, username: string, password: string) => PromiseLike<AriEventsClient>;

export interface AriLinkOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly app: string;
  readonly logger: Logger;
  readonly connect: AriEventsConnector;
  /**
   * Checks over REST that Asterisk answers and takes our credentials, so a 401 is reported as
   * wrong credentials rather than as a refused WebSocket upgrade.
   */
  readonly probe: () => Promise<void>;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly connectTimeoutMs: number;
}

export interface AriLinkHooks {
  onEvent(event: RawAriEvent): void;
  onUp(reconnect: boolean): void;
  onDown(reason: string): void;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { code?: string; status?: number };
    if (e.status === 0) return err.message.replace(/^.*?: /, '');
    return e.code ?? err.message;
  }
  return String(err);
}

/**
 * Keeps the events WebSocket of one Stasis app open. A client may reconnect a dropped socket
 * itself (WebSocketReconnecting/Connected); once it gives up (WebSocketMaxRetries; the ws client
 * does at once), or while Asterisk does not answer at all, this starts over with a fresh client
 * and backoff.
 */
export class AriLink {
  readonly #o: AriLinkOptions;
  #hooks: AriLinkHooks | null = null;
  #client: AriEventsClient | null = null;
  #up = false;
  #everUp = false;
  #closed = false;
  #wake: (() => void) | null = null;
  #firstUp: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #closing!: Promise<never>;
  #signalClosing!: (err: Error) => void;

  constructor(opts: AriLinkOptions) {
    this.#o = opts;
    this.#closing = new Promise<never>((_, reject) => (this.#signalClosing = reject));
    this.#closing.catch(() => undefined);
  }

  get up(): boolean {
    return this.#up;
  }

  /** Starts the connect loop; resolves once the WebSocket is first open (or the link is closed). */
  start(hooks: AriLinkHooks): Promise<void> {
    if (this.#hooks) throw new Error('AriLink already started');
    this.#hooks = hooks;
    const firstUp = new Promise<void>((resolve) => (this.#firstUp = resolve));
    this.#loop = this.#run().catch((err: unknown) => {
      this.#o.logger.error({ err: describe(err) }, 'ARI: connection loop failed');
    });
    return firstUp;
  }

  async #run(): Promise<void> {
    const log = this.#o.logger;
    let attempt = 0;
    while (!this.#closed) {
      attempt += 1;
      log.info({ attempt, url: this.#o.url, app: this.#o.app }, 'ARI: connecting');
      let lost: Promise<string>;
      try {
        await Promise.race([this.#o.probe(), this.#closing]);
        const client = await this.#connectClient();
        if (this.#closed) {
          dispose(client);
          return;
        }
        lost = this.#attach(client);
      } catch (err) {
        const delayMs = this.#delay(attempt);
        if ((err as { status?: unknown }).status === 401) {
          log.error(
            { attempt, delayMs, username: this.#o.username, err: describe(err) },
            'ARI: wrong credentials: Asterisk rejected the ARI username/password (HTTP 401); check ari.username and the ARI password against ari.conf. Retrying',
          );
        } else {
          log.warn({ attempt, delayMs, err: describe(err) }, 'ARI: Asterisk not reachable, retrying');
        }
        await this.#sleep(delayMs);
        continue;
      }
      const reason = await lost;
      const client = this.#client;
      this.#client = null;
      if (client) dispose(client);
      if (this.#up) {
        this.#up = false;
        this.#hooks?.onDown(reason);
      }
      if (this.#closed) return;
      if (this.#everUp) attempt = 0;
      const delayMs = this.#delay(Math.max(attempt, 1));
      log.warn({ reason, delayMs }, 'ARI: WebSocket given up, reconnecting with a fresh client');
      await this.#sleep(delayMs);
    }
  }

  async #connectClient(): Promise<AriEventsClient> {
    const pending = Promise.resolve(this.#o.connect(this.#o.url, this.#o.username, this.#o.password));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`API not loaded within ${this.#o.connectTimeoutMs} ms`)), this.#o.connectTimeoutMs);
    });
    try {
      return await Promise.race([pending, timeout, this.#closing]);
    } catch (err) {
      // A client that shows up after we gave up on it must not keep a socket open.
      pending.then(dispose, () => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Wires a loaded client; the promise settles with a reason once the client is of no more use. */
  #attach(client: AriEventsClient): Promise<string> {
    const log = this.#o.logger;
    this.#client = client;
    return new Promise<string>((resolve) => {
      client.on('*', (event: RawAriEvent) => {
        try {
          this.#hooks?.onEvent(event);
        } catch (err) {
          log.error({ err: describe(err), type: event.type }, 'ARI: event handler failed');
        }
      });
      client.on('WebSocketConnected', () => {
        if (this.#up || this.#closed) return;
        this.#up = true;
        const reconnect = this.#everUp;
        this.#everUp = true;
        log.info({ app: this.#o.app, reconnect }, 'ARI: events WebSocket connected');
        this.#firstUp?.();
        this.#firstUp = null;
        this.#hooks?.onUp(reconnect);
      });
      client.on('WebSocketReconnecting', (err?: Error) => {
        const reason = err ? describe(err) : 'WebSocket closed';
        log.warn({ reason }, 'ARI: events WebSocket lost, client reconnecting');
        if (this.#up) {
          this.#up = false;
          this.#hooks?.onDown(reason);
        }
      });
      client.on('WebSocketMaxRetries', (err?: Error) => resolve(err ? describe(err) : 'max retries'));
      client.on('APILoadError', () => undefined);
      Promise.resolve(client.start(this.#o.app)).then(
        () => undefined,
        (err: unknown) => resolve(describe(err)),
      );
      this.#wake = () => resolve('closed');
    });
  }

  #delay(attempt: number): number {
    const base = Math.min(this.#o.maxDelayMs, this.#o.initialDelayMs * 2 ** Math.min(attempt - 1, 16));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#up = false;
    this.#firstUp?.();
    this.#signalClosing(new Error('closed'));
    this.#wake?.();
    await this.#loop;
  }
}

/** Stops a client for good, including a reconnect it may already have scheduled. */
function dispose(client: AriEventsClient): void {
  for (const e of ['*', 'WebSocketConnected', 'WebSocketReconnecting', 'WebSocketMaxRetries']) {
    client.removeAllListeners(e);
  }
  const stop = (): void => {
    try {
      client.stop();
    } catch {
      // never started, or its socket is already gone
    }
  };
  client.on('WebSocketConnected', stop);
  stop();
}

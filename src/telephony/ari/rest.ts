import { Agent, request, type IncomingMessage } from 'node:http';
import { Agent as TlsAgent, request as tlsRequest } from 'node:https';
import type { TlsClientOptions } from '../../config/tls.js';
import { AriRequestError } from './port.js';

export interface AriRestOptions {
  /** `http://host:port` (or `https://`) of Asterisk's HTTP server. */
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
  /** Parallel connections to Asterisk; requests beyond queue in the agent (inside their timeout). */
  readonly maxSockets?: number;
  /** Certificate checks for an https:// baseUrl. */
  readonly tls?: TlsClientOptions;
}

export interface AriRestCall {
  /** Names the operation in errors and logs, e.g. `channels.play`. */
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path below `/ari`, already encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** Safe to send twice: retried when a kept-alive connection turns out to be closed (ECONNRESET). */
  readonly idempotent: boolean;
}

export interface AriRestAnswer {
  readonly status: number;
  readonly body: unknown;
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE']);
const MAX_ATTEMPTS = 3;

class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * ARI REST over node's http with a keep-alive agent. ari-client's REST path (swagger-client
 * over shred) cost ~3.5× the CPU per request in a 2,000-call measurement, has no timeout and
 * drops the HTTP status from its errors; ari-client is not used at all any more (events: ws-events.ts).
 */
export class AriRest {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;
  readonly #auth: string;
  readonly #timeoutMs: number;
  readonly #request: typeof request;

  constructor(opts: AriRestOptions) {
    const url = new URL(opts.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`ARI url must be http:// or https://, got ${url.protocol}`);
    const secure = url.protocol === 'https:';
    this.#host = url.hostname;
    this.#port = Number(url.port || (secure ? 443 : 80));
    this.#auth = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    this.#timeoutMs = opts.timeoutMs;
    const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
    this.#agent = secure ? new TlsAgent({ ...agentOptions, ...opts.tls }) : new Agent(agentOptions);
    this.#request = secure ? (tlsRequest as typeof request) : request;
  }

  /** Sends one request; rejects with AriRequestError (status 0 for transport faults and timeouts). */
  async call(c: AriRestCall): Promise<AriRestAnswer> {
    const path = `/ari${c.path}${queryString(c.query)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return refusedOrAnswer(c.operation, await this.#once(c.method, path));
      } catch (err) {
        if (err instanceof AriRequestError) throw err;
        const te = err as TransportError;
        if (c.idempotent && attempt < MAX_ATTEMPTS && te.code && RETRYABLE_CODES.has(te.code)) continue;
        throw new AriRequestError(c.operation, 0, te.message);
      }
    }
  }

  #once(method: string, path: string): Promise<AriRestAnswer> {
    return new Promise((resolve, reject) => {
      const req = this.#request(
        {
          host: this.#host,
          port: this.#port,
          method,
          path,
          agent: this.#agent,
          headers: { authorization: this.#auth, 'content-length': 0 },
        },
        (res) => readAnswer(res, resolve, reject),
      );
      const timer = setTimeout(() => {
        req.destroy(new TransportError(`no answer within ${this.#timeoutMs} ms`, 'ETIMEDOUT'));
      }, this.#timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(err instanceof TransportError ? err : new TransportError(err.message, err.code));
      });
      req.end();
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }
}

function readAnswer(
  res: IncomingMessage,
  resolve: (a: AriRestAnswer) => void,
  reject: (e: Error) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('error', (err: NodeJS.ErrnoException) => reject(new TransportError(err.message, err.code)));
  res.on('end', () => {
    const status = res.statusCode ?? 0;
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    if (text && (res.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    resolve({ status, body });
  });
}

/** Throws the refusal (4xx/5xx) as an {@link AriRequestError}; else the answer. */
export function refusedOrAnswer(operation: string, answer: AriRestAnswer): AriRestAnswer {
  if (answer.status >= 400) {
    const msg = (answer.body as { message?: unknown } | null)?.message;
    throw new AriRequestError(operation, answer.status, typeof msg === 'string' ? msg : 'request refused');
  }
  return answer;
}

export function queryString(query: AriRestCall['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

import type { FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors.js';

export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly raw: string;
}

/**
 * The console reads through the API itself: each page's data is a request to the API's own
 * route, made in-process with the signed-in browser's session cookie. So authentication,
 * roles, validation and the access log (`access.logged`, route and reason) are the API's, with
 * no second copy to drift.
 */
export async function callApi<T = unknown>(
  request: FastifyRequest,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { cookie: request.headers.cookie ?? '' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    headers['x-csrf-token'] = request.sessionCsrf ?? '';
  }
  const res = await request.server.inject({ method, url, headers, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
  const isJson = String(res.headers['content-type'] ?? '').startsWith('application/json');
  return { status: res.statusCode, body: (isJson ? res.json() : undefined) as T, headers: res.headers, raw: res.body };
}

/** The answer's body when it is a 2xx; otherwise the API's own error, passed on to the page. */
export async function apiOk<T>(request: FastifyRequest, method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const r = await callApi<T & { error?: string; message?: string }>(request, method, url, body);
  if (r.status >= 200 && r.status < 300) return r.body;
  throw new ConsoleApiError(r.status, r.body?.error ?? 'error', r.body?.message ?? `HTTP ${r.status}`);
}

/** An API answer other than 2xx, shown on the page (status and the API's safe message). */
export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleApiError';
  }
}

/** Query string from defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export { ApiError };

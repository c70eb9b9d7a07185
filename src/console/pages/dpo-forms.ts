import type { FastifyRequest } from 'fastify';
import { ConsoleApiError, type ApiAnswer } from '../api-client.js';
import { html, type Html } from '../html.js';
import type { T } from '../i18n.js';

/** A form body's string fields (the console parses forms to a flat object). */
export function formOf(request: FastifyRequest): Record<string, string> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

type ErrorBody = { error?: string; message?: string; issues?: Array<{ field: string; message: string }> } | undefined;

/**
 * An API refusal (4xx) as the page says it: a wrong number gets its own sentence, other
 * validation errors the API's field names and messages (which never repeat the value sent).
 */
export function refusalText(t: T, answer: ApiAnswer<unknown>, prefix: 'subjects' | 'holds'): string {
  const b = answer.body as ErrorBody;
  const issues = b?.issues ?? [];
  if (issues.some((i) => i.field === 'body.callerNumber')) return t('subjects.e.number');
  const message = issues.length ? issues.map((i) => `${i.field.replace(/^body\./, '')}: ${i.message}`).join('; ') : (b?.message ?? `HTTP ${answer.status}`);
  return t(`${prefix}.e.invalid`, { message });
}

/** The page's one-line outcome: a status note after a redirect, or an alert after a refusal. */
export function outcome(o: { notice?: string | undefined; error?: string | undefined }): Html {
  return html`${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}`;
}

/** Only these message codes come back in the address after a form (never data). */
export function noticeKey(query: unknown, prefix: string, allowed: readonly string[]): string | undefined {
  const m = (query as { m?: unknown } | undefined)?.m;
  return typeof m === 'string' && allowed.includes(m) ? `${prefix}.m.${m}` : undefined;
}

/** An answer the page has no words for (5xx, an unexpected status): the API's error, as the console's error page. */
export function unexpected(answer: ApiAnswer<unknown>): never {
  const b = answer.body as ErrorBody;
  throw new ConsoleApiError(answer.status, b?.error ?? 'error', b?.message ?? `HTTP ${answer.status}`);
}

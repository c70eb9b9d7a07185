import { z } from 'zod';
import type { ApiInstance } from '../types.js';
import type { EvidenceApiDeps } from './evidence-deps.js';

// Keys whose values are secrets wherever they appear in the configuration tree.
const SECRET_KEY = /pass(word)?|secret|pepper|token|credential|private|api_?key|access_?key|session/i;
// Keys whose values are personal data (phone numbers): shown as a count, never listed.
const PERSONAL_KEY = /^doNotRecord$/;

/** A copy of `value` with every secret-named key's value replaced by "[redacted]". */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (PERSONAL_KEY.test(k) && Array.isArray(v)) out[k] = `[${v.length} number(s) redacted]`;
      else out[k] = SECRET_KEY.test(k) ? (v === undefined ? undefined : '[redacted]') : redactSecrets(v);
    }
    return out;
  }
  return value;
}

/** The effective configuration, secrets removed: admin only (no role named). */
export function configRoutes(deps: Pick<EvidenceApiDeps, 'config'>) {
  const view = redactSecrets(deps.config);
  return async (app: ApiInstance) => {
    app.get(
      '/config',
      {
        schema: {
          summary: 'The effective configuration, without secrets (admin)',
          tags: ['admin'],
          response: { 200: z.record(z.string(), z.unknown()).describe('the configuration; secrets and personal data redacted') },
        },
      },
      async () => view as Record<string, unknown>,
    );
  };
}

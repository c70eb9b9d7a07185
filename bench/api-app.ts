// The evidence API as bench/api.ts measures it and test/api/fixtures/serve-until-killed.ts serves
// it: every evidence route on one ledger, no readiness, and a rate limit no load reaches.
import { buildApp } from '../src/api/app.js';
import type { CookieAuthenticator } from '../src/api/auth.js';
import type { EvidenceApiDeps } from '../src/api/routes/evidence-deps.js';
import { evidenceRoutes } from '../src/api/routes/evidence.js';
import type { TokenStore } from '../src/api/tokens.js';
import type { ApiInstance } from '../src/api/types.js';
import { AccessLog } from '../src/evidence/access-log.js';
import type { EvidenceWriter } from '../src/evidence/store.js';
import { createLogger } from '../src/shared/log.js';
import { createMetrics } from '../src/shared/metrics.js';

export interface EvidenceApiAppDeps extends Pick<EvidenceApiDeps, 'queries' | 'checkpoints' | 'signer' | 'pepper'> {
  /** The ledger the access log writes to. */
  readonly store: EvidenceWriter;
  readonly tokens: TokenStore;
  /** The controller named in receipts. */
  readonly controllerName: string;
  /** pino's level: `silent` for a fixture, `warn` for the bench. */
  readonly logLevel: string;
  /** The console's session cookie as a second way to a principal (bench:api's console pages). */
  readonly cookies?: CookieAuthenticator;
  /** Routes registered after the evidence routes (the console). */
  readonly extraRoutes?: ReadonlyArray<(app: ApiInstance) => Promise<void> | void>;
}

export function evidenceApiApp(d: EvidenceApiAppDeps) {
  return buildApp({
    log: createLogger({ level: d.logLevel }),
    tokens: d.tokens,
    metrics: createMetrics(),
    readiness: async () => ({}),
    rateLimitPerMinute: 100_000_000,
    ...(d.cookies ? { cookies: d.cookies } : {}),
    routes: [
      ...evidenceRoutes({
        queries: d.queries,
        access: new AccessLog(d.store),
        checkpoints: d.checkpoints,
        signer: d.signer,
        pepper: d.pepper,
        defaultCountryCode: '48',
        controller: { name: d.controllerName, jurisdiction: 'PL' },
        config: {},
        clock: { now: () => Date.now() },
      }),
      ...(d.extraRoutes ?? []),
    ],
  });
}

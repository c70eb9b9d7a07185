import { buildApp } from '../../src/api/app.js';
import { agentRoutes } from '../../src/api/routes/agents.js';
import type { AgentRegistry } from '../../src/joiners/agents.js';
import { evidenceRoutes, type EvidenceApiDeps } from '../../src/api/routes/evidence.js';
import { marketingApiRoutes, type MarketingApiDeps } from '../../src/api/routes/marketing.js';
import { outcomeCheckRoutes } from '../../src/api/routes/outcome-check.js';
import { withdrawalApiRoutes, type WithdrawalApiDeps } from '../../src/api/routes/withdrawals.js';
import { recordingApiRoutes, type RecordingApiDeps } from '../../src/api/routes/recordings.js';
import { retentionApiRoutes, type RetentionApiDeps } from '../../src/api/routes/retention.js';
import type { TokenStore } from '../../src/api/tokens.js';
import { createLogger } from '../../src/shared/log.js';
import { createMetrics } from '../../src/shared/metrics.js';

/**
 * The OpenAPI document of the API as the service registers it. Routes only read their
 * dependencies when called, so none are needed here: no database, no server, no keys.
 */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  const unused = new Proxy({}, { get: () => undefined });
  const evidence = { ...(unused as EvidenceApiDeps), defaultCountryCode: '48', config: {} };
  const app = await buildApp({
    log: createLogger({ level: 'silent' }),
    tokens: unused as TokenStore,
    metrics: createMetrics(),
    readiness: async () => ({}),
    routes: [
      ...evidenceRoutes(evidence),
      ...retentionApiRoutes({ ...(unused as RetentionApiDeps), defaultCountryCode: '48' }),
      ...recordingApiRoutes(unused as RecordingApiDeps),
      outcomeCheckRoutes({ ...(unused as EvidenceApiDeps), outcomeGraceSeconds: 3660 }),
      ...marketingApiRoutes({ ...(unused as MarketingApiDeps), defaultCountryCode: '48' }),
      ...withdrawalApiRoutes({ ...(unused as WithdrawalApiDeps), defaultCountryCode: '48' }),
      agentRoutes({ agents: unused as AgentRegistry, pepper: '' }),
    ],
  });
  await app.ready();
  const spec = app.swagger() as unknown as Record<string, unknown>;
  await app.close();
  return spec;
}

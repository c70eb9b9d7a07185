import type { ApiInstance } from '../types.js';
import { configRoutes } from './admin-config.js';
import { bundleRoutes } from './bundles.js';
import { callRoutes } from './calls.js';
import { checkpointRoutes } from './checkpoints.js';
import type { EvidenceApiDeps } from './evidence-deps.js';
import { statsRoutes } from './stats.js';

export type { EvidenceApiDeps } from './evidence-deps.js';

/**
 * Every auditor and DPO route, for `buildApp({ routes: evidenceRoutes(deps) })`.
 *
 * @example
 * const api = await buildApp({ log, tokens, metrics, readiness, routes: evidenceRoutes(deps) });
 */
export function evidenceRoutes(deps: EvidenceApiDeps): ReadonlyArray<(app: ApiInstance) => Promise<void>> {
  return [callRoutes(deps), checkpointRoutes(deps), statsRoutes(deps), bundleRoutes(deps), configRoutes(deps)];
}

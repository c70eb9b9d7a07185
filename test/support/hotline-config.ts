/**
 * The configuration most tests run, as a file would hold it (before defaults): three routes and
 * one default flow, `hotline`, with key 1 to sales, 8 the clause, 9 the objection, 0 repeat.
 * The call-flow unit tests (test/telephony/flow/fake-flow.ts) and the scenarios on the emulators
 * (test/scenarios/harness.ts) both start from it.
 */
export const HOTLINE_ROUTES = {
  agents: { context: 'consentline-after', extension: 'agents', priority: 1 },
  sales: { context: 'consentline-after', extension: 'sales', priority: 1 },
  fallback: { context: 'consentline-fallback', extension: 's', priority: 1 },
};

/** `flow` overrides the hotline flow's keys, `top` the configuration's top-level sections. */
export function hotlineConfigInput(flow: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    routes: HOTLINE_ROUTES,
    flows: [
      {
        id: 'hotline',
        default: true,
        legalBasis: 'consent_by_conduct',
        menu: {
          '1': { action: 'route', route: 'sales' },
          '8': { action: 'clause' },
          '9': { action: 'objection' },
          '0': { action: 'repeat' },
        },
        defaultRoute: 'agents',
        fallbackRoute: 'fallback',
        ...flow,
      },
    ],
    ...top,
  };
}

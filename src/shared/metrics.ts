import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics. Labels are closed sets (outcome, step, kind): never a
 * call id, channel or number.
 */
export function createMetrics() {
  const registry = new Registry();
  /** Read at scrape time; the composition root points them at the live objects. */
  const probes = {
    activeCalls: (): number => 0,
    /** Per Asterisk server (names from the config): whether its ARI events link is up. */
    ariConnected: (): Record<string, boolean> => ({}),
    amiConnected: (): boolean => false,
    /** Per configured route: 1 found in the running dialplan, 0 missing, -1 not checked. */
    routesInDialplan: (): Record<string, number> => ({}),
    /** Per Asterisk server: channels its Stasis application holds, as Asterisk says (null: could not ask). */
    stasisChannels: async (): Promise<Record<string, number | null>> => ({}),
    uploadQueueDepth: (): number => 0,
    uploadOldestAgeSeconds: (): number => 0,
    /**
     * When the latest checkpoint was signed (ms since the epoch; null: none yet) and the events
     * appended since. Null when the database does not answer: the gauges keep their last value,
     * and the scrape still succeeds (readiness and the failure counters tell the outage).
     */
    checkpoint: async (): Promise<{ signedAtMs: number | null; eventsSince: number } | null> => ({ signedAtMs: null, eventsSince: 0 }),
    /** Recording assurance: open findings per kind (a closed set) and when the last run finished (null: the database does not answer). */
    assurance: async (): Promise<{ open: Record<string, number>; lastRunAtMs: number | null } | null> => null,
  };
  collectDefaultMetrics({ register: registry });
  // prom-client's totals of these three are gauges named like counters (promtool refuses them);
  // the same figures are `sum(nodejs_active_handles)` etc., which stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const m = {
    registry,
    probes,
    calls: new Counter({
      name: 'consentline_calls_total',
      help: 'Calls that left the consent flow, by outcome and recording decision',
      labelNames: ['outcome', 'recording'] as const,
      registers: [registry],
    }),
    activeCalls: new Gauge({
      name: 'consentline_active_calls',
      help: 'Calls in the consent flow now',
      registers: [registry],
      collect() {
        this.set(probes.activeCalls());
      },
    }),
    stasisChannels: new Gauge({
      name: 'consentline_asterisk_stasis_channels',
      help: 'Channels in the Stasis application as Asterisk reports them (GET /applications/{app}) at scrape time; compare with consentline_active_calls',
      labelNames: ['server'] as const,
      registers: [registry],
      async collect() {
        const counts = await probes.stasisChannels();
        this.reset();
        for (const [server, n] of Object.entries(counts)) if (n !== null) this.set({ server }, n);
      },
    }),
    stepSeconds: new Histogram({
      name: 'consentline_flow_step_seconds',
      help: 'Time spent in each flow step',
      labelNames: ['step'] as const,
      buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160],
      registers: [registry],
    }),
    ledgerAppendSeconds: new Histogram({
      name: 'consentline_ledger_append_seconds',
      help: 'From append to durable commit of one evidence event',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'consentline_failures_total',
      help: 'Faults by kind (call fail-over, evidence write, upload, ARI, AMI)',
      labelNames: ['kind'] as const, // one of FAILURE_KINDS
      registers: [registry],
    }),
    ariConnected: new Gauge({
      name: 'consentline_ari_connected',
      help: '1 when the ARI events link to this Asterisk server is up',
      labelNames: ['server'] as const,
      registers: [registry],
      collect() {
        for (const [server, up] of Object.entries(probes.ariConnected())) this.set({ server }, up ? 1 : 0);
      },
    }),
    routeInDialplan: new Gauge({
      name: 'consentline_route_in_dialplan',
      help: 'Per configured route: 1 found in the running dialplan, 0 missing, -1 not checked (no AMI)',
      labelNames: ['route'] as const,
      registers: [registry],
      collect() {
        for (const [route, state] of Object.entries(probes.routesInDialplan())) this.set({ route }, state);
      },
    }),
    amiConnected: new Gauge({
      name: 'consentline_ami_connected',
      help: '1 when the AMI link is up (absent while recordings are off)',
      registers: [registry],
      collect() {
        this.set(probes.amiConnected() ? 1 : 0);
      },
    }),
    uploadQueueDepth: new Gauge({
      name: 'consentline_upload_queue_depth',
      help: 'Recordings waiting for a verified upload',
      registers: [registry],
      collect() {
        this.set(probes.uploadQueueDepth());
      },
    }),
    uploadOldestAgeSeconds: new Gauge({
      name: 'consentline_upload_oldest_age_seconds',
      help: 'Age of the oldest recording waiting for upload',
      registers: [registry],
      collect() {
        this.set(probes.uploadOldestAgeSeconds());
      },
    }),
    checkpointTimestamp: new Gauge({
      name: 'consentline_checkpoint_last_signed_timestamp_seconds',
      help: 'Unix time the latest signed checkpoint was made (0 until the first one)',
      registers: [registry],
      async collect() {
        const c = await probes.checkpoint();
        if (c) this.set((c.signedAtMs ?? 0) / 1000);
      },
    }),
    checkpointLag: new Gauge({
      name: 'consentline_checkpoint_lag_events',
      help: 'Evidence events appended after the latest signed checkpoint (all of them while there is none)',
      registers: [registry],
      async collect() {
        const c = await probes.checkpoint();
        if (c) this.set(c.eventsSince);
      },
    }),
    verificationFailures: new Counter({
      name: 'consentline_verification_failures_total',
      help: 'Integrity checks that failed: ledger (hash chain broken), checkpoint (ledger no longer matches a signed checkpoint), recording (stored object read back differs); by checkpoint signing and GET /ledger/verify',
      labelNames: ['check'] as const,
      registers: [registry],
    }),
    assuranceOpenFindings: new Gauge({
      name: 'consentline_assurance_open_findings',
      help: 'Recording assurance findings open (not acknowledged, not resolved), by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
      async collect() {
        const a = await probes.assurance();
        if (a) for (const [kind, n] of Object.entries(a.open)) this.set({ kind }, n);
      },
    }),
    assuranceLastRun: new Gauge({
      name: 'consentline_assurance_last_run_timestamp_seconds',
      help: 'Unix time the last assurance run finished (0 until the first one)',
      registers: [registry],
      async collect() {
        const a = await probes.assurance();
        if (a) this.set((a.lastRunAtMs ?? 0) / 1000);
      },
    }),
    assuranceRuns: new Counter({
      name: 'consentline_assurance_runs_total',
      help: 'Assurance runs this process made (scheduled and API), by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    outboundDecisions: new Counter({
      name: 'consentline_outbound_decisions_total',
      help: 'Campaign calls the outbound guard checked, by decision (allowed, refused) and reason',
      labelNames: ['decision', 'reason'] as const,
      registers: [registry],
    }),
    quarantined: new Counter({
      name: 'consentline_recordings_quarantined_total',
      help: 'Recordings quarantined: no recording consent for the call, or not a plausible recording of it',
      registers: [registry],
    }),
  };
  // Every series of a closed label set exists from the start, at 0, so the first event is an increase.
  for (const check of VERIFICATION_CHECKS) m.verificationFailures.inc({ check }, 0);
  for (const kind of FAILURE_KINDS) m.failures.inc({ kind }, 0);
  for (const result of ['done', 'failed']) m.assuranceRuns.inc({ result }, 0);
  for (const outcome of CALL_OUTCOMES) for (const recording of ['yes', 'no']) m.calls.inc({ outcome, recording }, 0);
  return m;
}

export const FAILURE_KINDS = ['api', 'call_failover', 'evidence_write', 'recording_name_refused', 'recording_start_failed', 'recording_upload', 'recording_pipeline'] as const;
/** A flow's outcomes (FlowEnd['outcome'] of src/telephony/flow/types.ts; test/metrics/call-outcomes.test.ts keeps them equal). */
export const CALL_OUTCOMES = ['continued', 'objected', 'abandoned', 'failed'] as const;

/** The closed set of `check` labels, present at 0 from the start so `increase()` sees the first failure. */
export const VERIFICATION_CHECKS = ['ledger', 'checkpoint', 'recording'] as const;
export type Metrics = ReturnType<typeof createMetrics>;

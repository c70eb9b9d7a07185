import { ConsoleSessions } from './console/sessions.js';
import { consoleCookies, consoleRoutes } from './console/index.js';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from './api/app.js';
import { buildOpsApp } from './api/ops-app.js';
import { evidenceRoutes } from './api/routes/evidence.js';
import { outcomeCheckRoutes } from './api/routes/outcome-check.js';
import { assuranceRoutes } from './api/routes/assurance.js';
import { agentRoutes } from './api/routes/agents.js';
import { createAssurance } from './assurance/build.js';
import { createJoiners } from './joiners/build.js';
import { marketingApiRoutes } from './api/routes/marketing.js';
import { withdrawalApiRoutes } from './api/routes/withdrawals.js';
import { ConsentWithdrawals } from './retention/withdrawal.js';
import { outboundGuard, registryState } from './telephony/outbound-guard.js';
import { recordingApiRoutes } from './api/routes/recordings.js';
import { recordingControlRoutes } from './api/routes/recording-control.js';
import { retentionApiRoutes } from './api/routes/retention.js';
import type { ApiInstance } from './api/types.js';
import type { ComponentStatus } from './api/routes/health.js';
import { missingPrompts } from './config/prompt-check.js';
import type { Config } from './config/schema.js';
import { asteriskServers, configForServer } from './config/servers.js';
import { loadOrCreateSecret } from './config/secrets.js';
import { createRecordingsRuntime, openRecordingEnvelope, openRecordingStore, type RecordingsRuntime } from './recordings/pipeline/build.js';
import { createRetentionService } from './retention/build.js';
import { AccessLog } from './evidence/access-log.js';
import { checkpointSigning, loadOrCreateSigner } from './evidence/checkpoint.js';
import { startCheckpointSchedule } from './evidence/checkpoint-schedule.js';
import { readSideCheckpoints } from './evidence/open-read-side.js';
import { inProgressGraceSeconds } from './evidence/outcomes.js';
import { openServiceDatabase } from './db/service-database.js';
import { createSubject, lookupKey, normalizeCallerId } from './evidence/subject.js';
import { doNotRecordLookup } from './recordings/pipeline/do-not-record.js';
import type { EvidenceStore } from './evidence/store.js';
import type { SubjectRecord } from './evidence/types.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { Logger } from './shared/log.js';
import { createMetrics, type Metrics } from './shared/metrics.js';
import { countAuditFailures, countCheckpointRefusals, countOutboundDecisions, timedWriter, wireMetricProbes } from './service-metrics.js';
import type { AriPort } from './telephony/ari/port.js';
import { CallFleet } from './telephony/call-fleet.js';
import { createRouteMonitor } from './telephony/route-monitor.js';
import type { PromptLookup } from './telephony/prompter.js';

export interface ServiceDeps {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Builds the ARI link; the real one is the ARI adapter (src/telephony/ari), tests may pass the same against an emulator. */
  readonly createAri: (config: Readonly<Config>, log: Logger) => AriPort;
  readonly loadPrompts: (dir: string) => Promise<PromptLookup>;
  /** Overrides evidence.checkpoint.everyMinutes, in ms (0 = not by time). */
  readonly checkpointIntervalMs?: number;
  /** The checkpoint signing key (Ed25519, PKCS#8 PEM, created 0600 on first use); default <dataDir>/secrets/checkpoint-ed25519.pem. */
  readonly checkpointKeyPath?: string;
}

export interface Service {
  readonly store: EvidenceStore;
  /** The calls of every configured Asterisk server, one ARI link and CallManager each. */
  readonly calls: CallFleet;
  readonly api: ApiInstance;
  readonly metrics: Metrics;
  /** The recordings pipeline, AMI watcher and object store; null when `recordings.enabled` is false. */
  readonly recordings: RecordingsRuntime | null;
  /** Where the API listens, e.g. http://127.0.0.1:8480 */
  readonly apiUrl: string;
  /** Where /health, /ready and /metrics answer without a token; null when `api.ops.enabled` is false. */
  readonly opsUrl: string | null;
  stop(): Promise<void>;
}

export class StartupError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'StartupError';
  }
}

/**
 * The composition root: opens each resource once, wires them, and closes them in reverse
 * order. Nothing else creates real connections.
 */
export async function startService(deps: ServiceDeps): Promise<Service> {
  const { config, log } = deps;
  const clock = deps.clock ?? systemClock;
  const dataDir = resolve(config.service.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const prompts = await deps.loadPrompts(resolve(config.prompts.dir));
  const promptProblems = missingPrompts(config, prompts);
  if (promptProblems.length) throw new StartupError(promptProblems);

  const pepper = loadOrCreateSecret(config.evidence.pepper, join(dataDir, 'secrets', 'pepper'));
  log.info(
    { dataDir, pepperFile: pepper.source === 'config' ? 'from config' : join(dataDir, 'secrets', 'pepper') },
    pepper.source === 'generated' ? 'data directory ready; generated a new look-up pepper' : 'data directory ready',
  );

  const metrics = createMetrics();
  const database = await openServiceDatabase(config, { clock });
  const { store } = database;
  log.info({ database: database.description, engine: database.engine }, 'evidence database ready');
  const signing = checkpointSigning(config);
  const [checkpointKeyPath, { origin }] = [deps.checkpointKeyPath ?? signing.keyPath, signing];
  const { signer, created: keyCreated } = loadOrCreateSigner(checkpointKeyPath, origin);
  log.info({ checkpointKey: checkpointKeyPath, verifierKey: signer.verifierKey }, keyCreated ? 'generated a new checkpoint signing key' : 'checkpoint signing key ready');
  const latestCheckpoint = await database.readSide.checkpointRepo.latest();
  if (latestCheckpoint && (latestCheckpoint.keyId !== signer.keyHash.toString('hex') || latestCheckpoint.origin !== origin)) {
    // Instances on one ledger must sign alike: an auditor holds one verifier key.
    log.warn(
      { latest: { treeSize: latestCheckpoint.treeSize, origin: latestCheckpoint.origin, keyId: latestCheckpoint.keyId }, ours: { origin, keyId: signer.keyHash.toString('hex') } },
      'the latest checkpoint was signed with another key or origin: instances sharing a ledger need the same evidence.checkpointKeyFile and evidence.checkpointOrigin',
    );
  }
  const { queries } = database.readSide;
  const checkpoints = readSideCheckpoints(database.readSide, { signer, clock });
  countCheckpointRefusals(checkpoints, metrics);
  const recordings = config.recordings.enabled
    ? await createRecordingsRuntime(config, { repo: database.recordings, evidence: store, log, pepper: pepper.value, dataDir, metrics, clock })
    : null;
  if (recordings) {
    // The store must be where the config says (S3: region allow-list); unreachable is fine: recordings queue.
    const location = await recordings.store.checkLocation().catch((err: unknown) => {
      log.warn({ err }, 'recordings store not reachable at start-up; recordings will queue until it is');
      return null;
    });
    if (location && !location.ok) {
      await recordings.close();
      await database.close();
      throw new StartupError([`recordings.store: ${location.reason}`]);
    }
  }
  // Calls from or to a listed number are never recorded: the flow answers CONSENT_RECORDING=no.
  const listed = doNotRecordLookup(config.recordings, pepper.value);
  const doNotRecord = (callerKey: string | null, did: string): boolean => {
    const didE164 = normalizeCallerId(did, config.service.defaultCountryCode);
    return (callerKey !== null && listed(callerKey)) || (didE164 !== null && listed(lookupKey(pepper.value, didE164)));
  };
  const subjectFor = (raw: string): SubjectRecord | null => {
    const e164 = normalizeCallerId(raw, config.service.defaultCountryCode);
    return e164 ? createSubject(e164, pepper.value) : null;
  };

  // Retention, holds, data-subject requests: own connection; the pipeline's object store or one opened here.
  // The decrypting key is optional (exports and playback; without it playback answers no_decrypt_key).
  const retentionStore = recordings ? null : openRecordingStore(config.recordings, dataDir, log).store;
  const retentionEnvelope = await openRecordingEnvelope(config.recordings, dataDir, { generate: false }).catch(() => null);
  const retention = createRetentionService(config, {
    repo: database.retention, evidence: store, objectStore: recordings?.store ?? retentionStore!,
    signer, pepper: pepper.value, clock, log, envelope: retentionEnvelope,
  });

  // Recording assurance: CEL over the recordings AMI link; the ledger and the stored recordings.
  const assurance = createAssurance(
    { assurance: config.assurance, stasisApp: config.ari.app },
    { ...database.assurance, evidence: timedWriter(store, metrics), store: recordings?.store ?? retentionStore, watcher: recordings?.watcher ?? null, clock, log, metrics },
  );

  // Parties who join a recorded call: the agents registry (DPO) and, over AMI, the notice and employee-notice guard.
  const joiners = createJoiners(config, { repo: database.agents, evidence: store, recordings, prompts, pepper: pepper.value, clock, log });
  // Withdrawals: by letter or e-mail through the API, by phone through the call flow; one service.
  const withdrawals = new ConsentWithdrawals({ repo: database.retention, evidence: store, pepper: pepper.value, clock, marketing: database.readSide.marketing });
  // Routes checked against the running dialplan (AMI ShowDialPlan) at start-up and on every reload.
  const routeMonitor = createRouteMonitor(config, log);
  const calls = new CallFleet({
    servers: asteriskServers(config),
    connect: (server) => deps.createAri(configForServer(config, server), log.child({ server: server.name })),
    flows: config.flows,
    evidence: timedWriter(store, metrics),
    prompts,
    clock,
    log,
    routes: config.routes,
    subjectFor,
    doNotRecord,
    routeMissing: (name) => routeMonitor.isMissing(name),
    withdrawals: { onFile: (key) => withdrawals.onFile(key), withdraw: async (w) => void (await withdrawals.recordByPhone(w)) },
    outboundGuard: outboundGuard({
      outbound: config.outbound,
      routes: config.routes,
      evidence: timedWriter(store, metrics),
      log,
      normalize: (raw) => normalizeCallerId(raw, config.service.defaultCountryCode),
      marketingState: (e164) => registryState(database.readSide.marketing, lookupKey(pepper.value, e164)),
      onChecked: countOutboundDecisions(metrics),
    }),
    instance: config.service.instanceId,
    ledger: { openCalls: (server) => queries.openCalls(server), callEvents: (id) => store.callEvents(id), getCall: (id) => store.getCall(id) },
    onCallEnded: ({ end }) => {
      metrics.calls.inc({ outcome: end.outcome, recording: 'recording' in end && end.recording ? 'yes' : 'no' });
      if (end.outcome === 'failed') metrics.failures.inc({ kind: 'call_failover' });
    },
    onStepTimed: (step, seconds) => metrics.stepSeconds.observe({ step }, seconds),
  });
  const readiness = async () => ({
    ari: ariReadiness(calls.status()),
    routes: routeMonitor.readiness(),
    ...(recordings ? recordings.readiness() : { ami: { status: 'disabled' as const }, storage: { status: 'disabled' as const } }),
    database: await store
      .head()
      .then(() => ({ status: 'up' as const }))
      .catch(() => ({ status: 'down' as const, detail: 'evidence store not answering' })),
  });
  const consoleSessions = new ConsoleSessions(database.consoleSessions, config.console);
  const api = await buildApp({
    log,
    tokens: database.tokens,
    ...(config.console.enabled ? { cookies: consoleCookies(consoleSessions) } : {}),
    metrics,
    rateLimitPerMinute: config.api.rateLimit.perMinute,
    routes: [
      ...evidenceRoutes({
        queries,
        access: new AccessLog(timedWriter(store, metrics)),
        checkpoints,
        signer,
        pepper: pepper.value,
        defaultCountryCode: config.service.defaultCountryCode,
        controller: config.controller,
        config,
        clock,
        formerVerifierKeys: config.evidence.checkpointVerifierKeys ?? [],
        onLedgerAudited: countAuditFailures(metrics),
      }),
      outcomeCheckRoutes({ queries, clock, outcomeGraceSeconds: inProgressGraceSeconds(config.flows) }),
      assuranceRoutes({ assurance: assurance.service }),
      agentRoutes({ agents: joiners.registry, pepper: pepper.value }),
      ...retentionApiRoutes({ retention, access: new AccessLog(timedWriter(store, metrics)), defaultCountryCode: config.service.defaultCountryCode }),
      // Marketing consent look-ups for outbound dialers (role dialer): the registry on the read side.
      ...marketingApiRoutes({ registry: database.readSide.marketing, access: new AccessLog(timedWriter(store, metrics)), pepper: pepper.value, defaultCountryCode: config.service.defaultCountryCode }),
      ...withdrawalApiRoutes({ withdrawals, defaultCountryCode: config.service.defaultCountryCode }),
      // Recordings of a call and playback (dpo): the same store and key as retention; the table read on the API's connection.
      ...recordingApiRoutes({
        recordings: database.recordingsRead,
        store: recordings?.store ?? retentionStore!,
        envelope: retentionEnvelope,
        access: new AccessLog(timedWriter(store, metrics)),
        callEvents: (callId) => store.callEvents(callId),
      }),
      // Pause and resume of a live recording (agent-desktop): the AMI watcher's control, 503 without one.
      recordingControlRoutes({ control: recordings?.control ?? null, pepper: pepper.value }),
      // The auditor/DPO console under /console: pages that read through the routes above.
      ...(config.console.enabled ? [consoleRoutes({ tokens: database.tokens, sessions: consoleSessions })] : []),
    ],
    readiness,
  });
  wireMetricProbes(metrics, { calls, recordings, checkpoints, store });
  metrics.probes.routesInDialplan = () => routeMonitor.routeStates();

  const address = await api.listen({ host: config.api.host, port: config.api.port });
  log.info({ api: address }, 'API listening');
  const ops = config.api.ops.enabled ? await buildOpsApp({ log, metrics, readiness }) : null;
  const opsUrl = ops ? await ops.listen({ host: config.api.ops.host, port: config.api.ops.port }) : null;
  if (opsUrl) log.info({ ops: opsUrl }, 'ops listener (/health, /ready, /metrics without a token) listening');
  // Not awaited: the link retries in the background while the API, recordings and shutdown run.
  calls.start();
  routeMonitor.start();
  recordings?.start();
  const everyMs = deps.checkpointIntervalMs ?? config.evidence.checkpoint.everyMinutes * 60_000;
  const { everyEvents } = config.evidence.checkpoint;
  const schedule = everyMs > 0 || everyEvents > 0 ? startCheckpointSchedule(checkpoints, { everyMs, everyEvents, clock }, log) : null;
  const stopSweep = config.retention.enabled ? retention.schedule(config.retention.schedule) : () => undefined;
  assurance.start();

  let stopped = false;
  return {
    store,
    calls,
    api,
    metrics,
    recordings,
    apiUrl: address,
    opsUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      log.info({ activeCalls: calls.activeCalls }, 'stopping');
      // In this order; each phase timed, so a slow stop says in its last line where the time went.
      const took: Record<string, number> = {};
      for (const [phase, run] of [
        ['checkpoints', async () => schedule?.stop()], ['sweep', stopSweep], ['assurance', () => assurance.stop()], ['joiners', () => joiners.close()], ['routes', () => routeMonitor.stop()],
        ['api', async () => { await api.close(); await ops?.close(); }], ['calls', () => calls.shutdown()], ['ari', () => calls.close()],
        ['recordings', () => recordings?.close()], ['retention', () => retentionStore?.close()], ['database', () => database.close()],
      ] as const) {
        const t0 = performance.now();
        await run();
        took[phase] = Math.round(performance.now() - t0);
      }
      log.info({ ms: took }, 'stopped');
    },
  };
}

/** Up only when every server's events link is; the detail names the servers that are down. */
function ariReadiness({ up, down }: { up: string[]; down: string[] }): ComponentStatus {
  if (down.length === 0) return { status: 'up' };
  return { status: 'down', detail: `ARI events link not connected: ${down.join(', ')}${up.length ? ` (up: ${up.join(', ')})` : ''}` };
}

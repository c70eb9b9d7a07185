import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from './api/app.js';
import { evidenceRoutes } from './api/routes/evidence.js';
import { marketingApiRoutes } from './api/routes/marketing.js';
import { withdrawalApiRoutes } from './api/routes/withdrawals.js';
import { ConsentWithdrawals } from './retention/withdrawal.js';
import { recordingApiRoutes } from './api/routes/recordings.js';
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
import { checkpointSigning, loadOrCreateSigner, startCheckpointTimer } from './evidence/checkpoint.js';
import { readSideCheckpoints } from './evidence/open-read-side.js';
import { openServiceDatabase } from './db/service-database.js';
import { createSubject, lookupKey, normalizeCallerId } from './evidence/subject.js';
import { doNotRecordLookup } from './recordings/pipeline/do-not-record.js';
import type { EvidenceStore, EvidenceWriter } from './evidence/store.js';
import type { SubjectRecord } from './evidence/types.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { Logger } from './shared/log.js';
import { createMetrics, type Metrics } from './shared/metrics.js';
import type { AriPort } from './telephony/ari/port.js';
import { CallFleet } from './telephony/call-fleet.js';
import { createRouteMonitor } from './telephony/route-monitor.js';
import type { PromptLookup } from './telephony/prompter.js';

export interface ServiceDeps {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Builds the ARI link; the real one is the ari-client adapter, tests may pass the same against an emulator. */
  readonly createAri: (config: Readonly<Config>, log: Logger) => AriPort;
  readonly loadPrompts: (dir: string) => Promise<PromptLookup>;
  /** How often a checkpoint is signed over the ledger (default 1 hour; 0 = only on demand). */
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
  log.info({ database: database.description, engine: database.kind }, 'evidence database ready');
  const signing = checkpointSigning(config);
  const checkpointKeyPath = deps.checkpointKeyPath ?? signing.keyPath;
  const { origin } = signing;
  const { signer, created: keyCreated } = loadOrCreateSigner(checkpointKeyPath, origin);
  log.info({ checkpointKey: checkpointKeyPath, verifierKey: signer.verifierKey }, keyCreated ? 'generated a new checkpoint signing key' : 'checkpoint signing key ready');
  const latestCheckpoint = await database.readSide.checkpointRepo.latest();
  if (latestCheckpoint && (latestCheckpoint.keyId !== signer.keyHash.toString('hex') || latestCheckpoint.origin !== origin)) {
    // Several instances on one ledger must sign alike, or an auditor holding one verifier key
    // cannot check the checkpoints the others signed.
    log.warn(
      { latest: { treeSize: latestCheckpoint.treeSize, origin: latestCheckpoint.origin, keyId: latestCheckpoint.keyId }, ours: { origin, keyId: signer.keyHash.toString('hex') } },
      'the latest checkpoint was signed with another key or origin: instances sharing a ledger need the same evidence.checkpointKeyFile and evidence.checkpointOrigin',
    );
  }
  const queries = database.readSide.queries;
  const checkpoints = readSideCheckpoints(database.readSide, { signer, clock });
  const recordings = config.recordings.enabled
    ? await createRecordingsRuntime(config, { repo: database.recordings, evidence: store, log, pepper: pepper.value, dataDir, metrics, clock })
    : null;
  if (recordings) {
    // The store must be where the configuration says (S3: bucket region in the allow-list). An
    // unreachable store is no reason not to start: recordings wait in the queue.
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

  // Retention, holds and data-subject requests: their own connection; the pipeline's object store
  // when it runs, else one opened here. The decrypting key is optional (access exports and
  // playback only; a capture host with the RSA public key alone answers playback with no_decrypt_key).
  const retentionStore = recordings ? null : openRecordingStore(config.recordings, dataDir, log).store;
  const retentionEnvelope = await openRecordingEnvelope(config.recordings, dataDir, { generate: false }).catch(() => null);
  const retention = createRetentionService(config, {
    repo: database.retention,
    evidence: store,
    objectStore: recordings?.store ?? retentionStore!,
    signer,
    pepper: pepper.value,
    clock,
    log,
    envelope: retentionEnvelope,
  });

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
    instance: config.service.instanceId,
    onCallEnded: ({ end }) => {
      metrics.calls.inc({ outcome: end.outcome, recording: 'recording' in end && end.recording ? 'yes' : 'no' });
      if (end.outcome === 'failed') metrics.failures.inc({ kind: 'call_failover' });
    },
  });
  const api = await buildApp({
    log,
    tokens: database.tokens,
    metrics,
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
      }),
      ...retentionApiRoutes({ retention, access: new AccessLog(timedWriter(store, metrics)), defaultCountryCode: config.service.defaultCountryCode }),
      // Marketing consent look-ups for outbound dialers (role dialer): the registry on the read side.
      ...marketingApiRoutes({ registry: database.readSide.marketing, access: new AccessLog(timedWriter(store, metrics)), pepper: pepper.value, defaultCountryCode: config.service.defaultCountryCode }),
      ...withdrawalApiRoutes({ withdrawals: new ConsentWithdrawals({ repo: database.retention, evidence: store, pepper: pepper.value, clock }), defaultCountryCode: config.service.defaultCountryCode }),
      // Recordings of a call and playback (dpo): the same store and key as retention; the table read on the API's connection.
      ...recordingApiRoutes({
        recordings: database.recordingsRead,
        store: recordings?.store ?? retentionStore!,
        envelope: retentionEnvelope,
        access: new AccessLog(timedWriter(store, metrics)),
      }),
    ],
    readiness: async () => ({
      ari: ariReadiness(calls.status()),
      routes: routeMonitor.readiness(),
      ...(recordings ? recordings.readiness() : { ami: { status: 'disabled' as const }, storage: { status: 'disabled' as const } }),
      database: await store
        .head()
        .then(() => ({ status: 'up' as const }))
        .catch(() => ({ status: 'down' as const, detail: 'evidence store not answering' })),
    }),
  });
  metrics.probes.activeCalls = () => calls.activeCalls;
  metrics.probes.routesInDialplan = () => routeMonitor.routeStates();
  metrics.probes.stasisChannels = async () =>
    Object.fromEntries(await Promise.all(calls.links.map(async (l) => [l.name, await l.ari.listAppChannels().then((ids) => ids.length, () => null)])));
  metrics.probes.ariConnected = () => Object.fromEntries(calls.links.map((l) => [l.name, l.ari.connected]));
  if (recordings) {
    metrics.probes.amiConnected = () => recordings.watcher?.connected ?? false;
    metrics.probes.uploadQueueDepth = () => recordings.pipeline.queueStats().depth;
    metrics.probes.uploadOldestAgeSeconds = () => recordings.pipeline.queueStats().oldestAgeSeconds;
  }

  const address = await api.listen({ host: config.api.host, port: config.api.port });
  log.info({ api: address }, 'API listening');
  // Not awaited: while no Asterisk answers, the link keeps retrying in the background and the
  // service (API, recordings, shutdown) runs meanwhile.
  calls.start();
  routeMonitor.start();
  recordings?.start();
  const checkpointInterval = deps.checkpointIntervalMs ?? 3_600_000;
  const stopCheckpoints = checkpointInterval > 0 ? startCheckpointTimer(checkpoints, checkpointInterval, log) : () => undefined;
  const stopSweep = config.retention.enabled ? retention.schedule(config.retention.schedule) : () => undefined;

  let stopped = false;
  return {
    store,
    calls,
    api,
    metrics,
    recordings,
    apiUrl: address,
    async stop() {
      if (stopped) return;
      stopped = true;
      log.info({ activeCalls: calls.activeCalls }, 'stopping');
      stopCheckpoints();
      stopSweep();
      routeMonitor.stop();
      await api.close();
      await calls.shutdown();
      await calls.close();
      await recordings?.close();
      await retentionStore?.close();
      await database.close();
    },
  };
}

/** Up only when every server's events link is; the detail names the servers that are down. */
function ariReadiness({ up, down }: { up: string[]; down: string[] }): ComponentStatus {
  if (down.length === 0) return { status: 'up' };
  return { status: 'down', detail: `ARI events link not connected: ${down.join(', ')}${up.length ? ` (up: ${up.join(', ')})` : ''}` };
}

/** The ledger as the call flow sees it, with the append latency and failures measured. */
function timedWriter(store: EvidenceWriter, metrics: Metrics): EvidenceWriter {
  return {
    async append(event, effects) {
      const end = metrics.ledgerAppendSeconds.startTimer();
      try {
        return await store.append(event, effects);
      } catch (err) {
        metrics.failures.inc({ kind: 'evidence_write' });
        throw err;
      } finally {
        end();
      }
    },
  };
}

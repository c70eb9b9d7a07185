import path from 'node:path';
import type { RecordingsConfig } from '../../config/recordings-schema.js';
import type { Config } from '../../config/schema.js';
import type { SqliteDatabase } from '../../db/sqlite.js';
import type { EvidenceStore } from '../../evidence/store.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Metrics } from '../../shared/metrics.js';
import { createAmiWatcher, type AmiWatcher } from '../ami/watcher.js';
import { AriRecordingsClient } from '../ari-fetch/client.js';
import { createRecordingEnvelope, type RecordingEnvelope } from '../crypto/envelope.js';
import { withEncryptionThreads } from '../crypto/encryption-threads.js';
import { createRecordingKeyring, type RecordingKeyConfig } from '../crypto/keyring.js';
import { LocalObjectStore } from '../storage/local-store.js';
import type { ObjectStore } from '../storage/port.js';
import { S3ObjectStore } from '../storage/s3-store.js';
import { followDialplanRequests, RecordingControl } from '../control/index.js';
import { doNotRecordLookup } from './do-not-record.js';
import { asCallId } from './names.js';
import { RecordingPipeline, type RecordingPipelineOptions } from './pipeline.js';
import { RecordingRepo, type RecordingRepository } from './repo.js';
import { AriSource, SpoolSource } from './source.js';
import { loadTlsClientOptions } from '../../config/tls.js';

/** Where the recording master key lives for each key mode; relative files are taken from the working dir. */
export function recordingKeyConfig(rc: RecordingsConfig, dataDir: string, opts: { generate?: boolean } = {}): RecordingKeyConfig {
  switch (rc.keys.mode) {
    case 'local':
      return {
        mode: 'local',
        keyFile: path.resolve(rc.keys.keyFile ?? path.join(dataDir, 'secrets', 'recording.key')),
        generateIfMissing: opts.generate ?? true,
      };
    case 'rsa':
      return {
        mode: 'rsa',
        publicKeyFile: path.resolve(rc.keys.publicKeyFile),
        ...(rc.keys.privateKeyFile ? { privateKeyFile: path.resolve(rc.keys.privateKeyFile) } : {}),
      };
    case 'kms':
      return {
        mode: 'kms',
        keyArn: rc.keys.keyArn,
        ...(rc.store.type === 's3' && rc.store.allowedRegions ? { allowedRegions: rc.store.allowedRegions } : {}),
      };
  }
}

/**
 * The envelope of this host's key. `generate: false` (tools) never creates a new local key;
 * `encryptionThreads` > 0 moves file encryption onto that many worker threads (close it).
 */
export async function openRecordingEnvelope(
  rc: RecordingsConfig,
  dataDir: string,
  opts: { log?: Logger; generate?: boolean; encryptionThreads?: number } = {},
): Promise<RecordingEnvelope> {
  const keyConfig = recordingKeyConfig(rc, dataDir, opts.generate === undefined ? {} : { generate: opts.generate });
  const envelope = createRecordingEnvelope(await createRecordingKeyring(keyConfig, opts.log ? { log: opts.log } : {}));
  const threads = opts.encryptionThreads ?? 0;
  return threads > 0 ? withEncryptionThreads(envelope, keyConfig, { threads, ...(opts.log ? { log: opts.log } : {}) }) : envelope;
}

export interface OpenedStore {
  readonly store: ObjectStore;
  readonly info: RecordingPipelineOptions['storeInfo'];
  readonly retainDays: number | null;
}

/** The configured object store. S3 credentials come from the SDK's default chain (env, profile, role). */
export function openRecordingStore(rc: RecordingsConfig, dataDir: string, log?: Logger): OpenedStore {
  const s = rc.store;
  if (s.type === 'local') {
    const root = path.resolve(s.dir ?? path.join(dataDir, 'recordings', 'store'));
    return { store: new LocalObjectStore({ root }, log ? { log } : {}), info: { store: 'local', region: null }, retainDays: null };
  }
  const store = new S3ObjectStore(
    {
      bucket: s.bucket,
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.forcePathStyle !== undefined ? { forcePathStyle: s.forcePathStyle } : {}),
      ...(s.allowedRegions ? { allowedRegions: s.allowedRegions } : {}),
      ...(s.sseKmsKeyId ? { sseKmsKeyId: s.sseKmsKeyId } : {}),
      ...(s.objectLock ? { objectLock: { mode: s.objectLock.mode } } : {}),
      ...(s.requestChecksumCalculation ? { requestChecksumCalculation: s.requestChecksumCalculation } : {}),
      ...(s.multipartThresholdBytes ? { multipartThresholdBytes: s.multipartThresholdBytes } : {}),
    },
    log ? { log } : {},
  );
  return { store, info: { store: 's3', bucket: s.bucket, region: s.region }, retainDays: s.objectLock?.retainDays ?? null };
}

export interface RecordingsRuntime {
  readonly pipeline: RecordingPipeline;
  readonly watcher: AmiWatcher | null;
  /** Pause, resume and stop of a call's recording over AMI; null without an AMI watcher. */
  readonly control: RecordingControl | null;
  readonly store: ObjectStore;
  /** Why there is no AMI watcher, when there is none. */
  readonly amiProblem: string | null;
  /** Starts the watcher and the pipeline. */
  start(): void;
  /** `/ready` components: `ami` (the AMI link) and `storage` (the object store as the last operation found it). */
  readiness(): Record<'ami' | 'storage', { status: 'up' | 'down' | 'disabled'; detail?: string }>;
  /** Stops in reverse order and closes what it opened (not the repository's database or `evidence`). */
  close(): Promise<void>;
}

/**
 * Where the pipeline's table is: a repository on either engine (`new PgRecordingRepo(pool)` on
 * PostgreSQL), or the SQLite handle to open a {@link RecordingRepo} on.
 */
export type RecordingsTable = { readonly repo: RecordingRepository } | { readonly db: SqliteDatabase };

/**
 * Builds the recordings side from the configuration: keyring, store, source, AMI watcher and the
 * pipeline. The composition root owns the result and closes it.
 */
export async function createRecordingsRuntime(
  config: Readonly<Config>,
  deps: RecordingsTable & {
    readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
    readonly log: Logger;
    readonly pepper: string;
    readonly dataDir: string;
    readonly metrics?: Metrics;
    readonly clock?: Clock;
  },
): Promise<RecordingsRuntime> {
  const rc = config.recordings;
  const { log, dataDir } = deps;
  const envelope = await openRecordingEnvelope(rc, dataDir, { log, encryptionThreads: rc.worker.encryptionThreads });
  log.info({ component: 'recordings', keyId: envelope.keyId }, 'recordings are encrypted under this master key (the keyId of each recording.stored)');
  const opened = openRecordingStore(rc, dataDir, log);
  let ari: AriRecordingsClient | null = null;
  const source =
    rc.source === 'ari'
      ? new AriSource({
          client: (ari = new AriRecordingsClient({ url: config.ari.url, username: config.ari.username, password: config.ari.password ?? '', tls: loadTlsClientOptions(config.ari.tls) })),
          recordingDir: rc.ariRecordingDir,
        })
      : new SpoolSource({ dir: path.resolve(rc.spoolDir), ...(rc.asteriskSpoolDir ? { asteriskDir: rc.asteriskSpoolDir } : {}) });
  const secret = rc.ami.secret;
  const amiProblem = secret ? null : 'no AMI secret configured (CONSENTLINE_AMI_SECRET): recordings are found by the periodic scan only';
  const watcher = secret
    ? createAmiWatcher({ host: rc.ami.host, port: rc.ami.port, username: rc.ami.username, secret, tls: loadTlsClientOptions(rc.ami.tls) }, { logger: log })
    : null;
  if (amiProblem) log.warn({ component: 'recordings' }, amiProblem);
  const pipeline = new RecordingPipeline(
    {
      instanceId: config.service.instanceId,
      spoolId: rc.spoolId ?? config.service.instanceId,
      capture: rc.capture,
      quarantineDays: rc.quarantineDays,
      verify: rc.verify,
      storeInfo: opened.info,
      retainDays: opened.retainDays,
      concurrency: rc.worker.concurrency,
      initialBackoffMs: rc.worker.initialBackoffSeconds * 1000,
      maxBackoffMs: rc.worker.maxBackoffSeconds * 1000,
      pollMs: rc.worker.pollSeconds * 1000,
      scanIntervalMs: rc.spoolScan.intervalSeconds * 1000,
      settleMs: rc.spoolScan.settleSeconds * 1000,
      maxFileBytes: rc.maxFileMB * 2 ** 20,
    },
    {
      repo: 'repo' in deps ? deps.repo : new RecordingRepo(deps.db),
      evidence: deps.evidence,
      store: opened.store,
      envelope,
      source,
      workDir: path.join(dataDir, 'recordings', 'work'),
      watcher,
      log,
      isDoNotRecord: doNotRecordLookup(rc, deps.pepper),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
    },
  );
  const control = watcher ? controlOf(config, watcher, deps) : null;
  const stopDialplanRequests = control && watcher ? followDialplanRequests({ watcher, control, callIdOf: asCallId, log, actionTimeoutMs: rc.control.confirmTimeoutMs }) : null;
  return {
    pipeline,
    watcher,
    control,
    store: opened.store,
    amiProblem,
    start() {
      watcher?.start();
      pipeline.start();
    },
    readiness() {
      const storage = pipeline.storageHealth;
      return {
        ami: watcher?.connected
          ? { status: 'up' }
          : { status: 'down', detail: amiProblem ?? `AMI ${watcher?.state === 'gave-up' ? 'login refused; fix the secret and restart' : 'not connected'}` },
        storage:
          storage.status === 'down'
            ? { status: 'down', detail: `object store failing (${storage.code}) since ${storage.since}; ${pipeline.queueStats().depth} recording(s) queued` }
            : { status: 'up' },
      };
    },
    async close() {
      stopDialplanRequests?.();
      await control?.close();
      await watcher?.stop();
      await pipeline.stop();
      await envelope.close();
      await opened.store.close();
      ari?.close();
    },
  };
}

function controlOf(config: Readonly<Config>, watcher: AmiWatcher, deps: { evidence: Pick<EvidenceStore, 'append' | 'getCall'>; log: Logger; clock?: Clock }): RecordingControl {
  const c = config.recordings.control;
  return new RecordingControl({
    watcher,
    evidence: deps.evidence,
    log: deps.log,
    callIdOf: asCallId,
    options: { confirmTimeoutMs: c.confirmTimeoutMs, maxPauseMs: c.maxPauseSeconds * 1000, onMaxPause: c.onMaxPause },
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
}

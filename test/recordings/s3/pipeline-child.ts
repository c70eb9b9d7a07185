/**
 * The recordings worker as its own process, for the SIGKILL test: the real pipeline on the test's
 * SQLite file, spool dir and an S3 store (RGW through a throttling relay). Config comes as JSON in
 * PIPELINE_CHILD. Prints "ready" once started, then works until killed.
 */
import { join } from 'node:path';
import { openSqlite } from '../../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../../src/evidence/sqlite-store.js';
import { createRecordingEnvelope, createRecordingKeyring, withEncryptionThreads } from '../../../src/recordings/crypto/index.js';
import { RecordingPipeline, RecordingRepo, SpoolSource } from '../../../src/recordings/pipeline/index.js';
import { S3ObjectStore, type S3StoreConfig } from '../../../src/recordings/storage/index.js';
import { createLogger } from '../../../src/shared/log.js';

interface ChildConfig {
  dbPath: string;
  dataDir: string;
  spoolDir: string;
  store: S3StoreConfig;
}

const cfg = JSON.parse(process.env.PIPELINE_CHILD ?? '{}') as ChildConfig;
const log = createLogger({ level: 'info', name: 'pipeline-child' });
const evidence = await openSqliteEvidenceStore({ path: cfg.dbPath, writerThread: false });
const { db } = openSqlite({ path: cfg.dbPath });
// Encrypts on a worker thread, as the service does by default: the SIGKILL lands on both threads.
const keyConfig = { mode: 'local', keyFile: join(cfg.dataDir, 'secrets', 'recording.key') } as const;
const envelope = withEncryptionThreads(createRecordingEnvelope(await createRecordingKeyring(keyConfig)), keyConfig, { threads: 1 });
const store = new S3ObjectStore(cfg.store, { log });
const pipeline = new RecordingPipeline(
  {
    instanceId: 'consentline-child',
    capture: 'dialplan',
    quarantineDays: 7,
    verify: 'read-back',
    storeInfo: { store: 's3', bucket: cfg.store.bucket, region: cfg.store.region },
    concurrency: 1,
    initialBackoffMs: 100,
    maxBackoffMs: 500,
    pollMs: 50,
    scanIntervalMs: 200,
    settleMs: 0,
  },
  { repo: new RecordingRepo(db), evidence, store, envelope, source: new SpoolSource({ dir: cfg.spoolDir }), workDir: join(cfg.dataDir, 'recordings', 'work'), log },
);
pipeline.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void pipeline.stop().then(() => process.exit(0));
});

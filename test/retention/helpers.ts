import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Config } from '../../src/config/schema.js';
import { RETENTION_DEFAULTS, type RetentionConfig } from '../../src/config/retention-schema.js';
import { openSqlite, type SqliteDatabase } from '../../src/db/sqlite.js';
import { loadOrCreateSigner } from '../../src/evidence/checkpoint.js';
import { openSqliteEvidenceStore, type SqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { LocalObjectStore } from '../../src/recordings/storage/index.js';
import type { ObjectStore } from '../../src/recordings/storage/port.js';
import { resolvePolicies } from '../../src/retention/policy.js';
import { SqliteRetentionRepo } from '../../src/retention/repo-sqlite.js';
import { RetentionService, type RetentionServiceDeps } from '../../src/retention/service.js';
import { createLogger } from '../../src/shared/log.js';
import { PEPPER, seedCall, type SeedCall } from '../api/evidence-helpers.js';

export { PEPPER };
export const DAY = 86_400_000;

/** A clock tests move by hand. */
export class TestClock {
  constructor(public t: number) {}
  now = () => this.t;
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

export function quietLog() {
  return createLogger({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() }));
}

export interface Flows {
  readonly id: string;
  readonly retention?: { recordingsDays?: number; evidenceDays?: number; quarantineDays?: number };
}

/** A SQLite evidence file, the local object store and the retention service over them. */
export async function retentionWorld(opts: { now?: string; flows?: Flows[]; retention?: Partial<RetentionConfig>; store?: (local: LocalObjectStore) => ObjectStore } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cl-retention-'));
  const path = join(dir, 'ledger.sqlite');
  const clock = new TestClock(Date.parse(opts.now ?? '2026-03-01T00:00:00.000Z'));
  const evidence = await openSqliteEvidenceStore({ path, clock, writerThread: false });
  const dbs: SqliteDatabase[] = [];
  const db = () => {
    const d = openSqlite({ path }).db;
    dbs.push(d);
    return d;
  };
  const local = new LocalObjectStore({ root: join(dir, 'store') }, { clock });
  const objectStore = opts.store ? opts.store(local) : local;
  const { signer } = loadOrCreateSigner(join(dir, 'secrets', 'cp.pem'), 'consentline/test');
  const retention: RetentionConfig = { ...RETENTION_DEFAULTS, ...opts.retention, default: { ...RETENTION_DEFAULTS.default, ...opts.retention?.default } };
  const flows = opts.flows ?? [{ id: 'main', retention: { recordingsDays: 10, evidenceDays: 30, quarantineDays: 3 } }, { id: 'sales' }];
  const policies = resolvePolicies(retention, flows, { quarantineDays: 7 });
  const service = (extra: Partial<RetentionServiceDeps> = {}) =>
    new RetentionService({
      repo: new SqliteRetentionRepo(db()),
      evidence,
      objectStore,
      signer,
      pepper: PEPPER,
      controller: { name: 'Example Controller Sp. z o.o.', contact: 'iod@example.pl' },
      clock,
      log: quietLog(),
      policies,
      instanceId: 'cl-test',
      options: { batchSize: retention.batchSize, leaseSeconds: retention.leaseSeconds, deleteAttempts: retention.deleteAttempts, bypassGovernanceForErasure: false, erasureWaitMs: 500 },
      sleep: async () => {},
      ...extra,
    });
  const read = db();
  let n = 0;
  /** A call in the ledger and a stored recording of it (state done, object in the store). */
  const addCall = async (c: Partial<SeedCall> & { startedAt: string }, rec: { recording?: boolean; retainUntil?: string; quarantine?: boolean } = {}) => {
    const callId = c.callId ?? randomUUID();
    await seedCall(evidence, { callId, outcome: 'continued', number: '+48600123456', ...c });
    if (rec.recording === false) return { callId, recordingId: null as string | null, key: null as string | null };
    const recordingId = randomUUID();
    const key = `${rec.quarantine ? 'quarantine' : 'recordings'}/${c.startedAt.slice(0, 10)}/${recordingId}.wav.enc`;
    const body = Buffer.from(`recording ${n++} of ${callId}`);
    const file = join(dir, `${recordingId}.tmp`);
    writeFileSync(file, body);
    const sha256 = createHash('sha256').update(body).digest('hex');
    await local.put(key, file, { bytes: body.length, sha256, ...(rec.retainUntil ? { retainUntil: new Date(rec.retainUntil) } : {}) });
    insertRecording(read, { id: recordingId, callId, key, startedAt: c.startedAt, retainUntil: rec.retainUntil ?? null, disposition: rec.quarantine ? 'quarantine' : 'keep', sha256, bytes: body.length });
    return { callId, recordingId: recordingId as string | null, key: key as string | null };
  };
  const close = async () => {
    await evidence.close();
    for (const d of dbs) if (d.open) d.close();
    await objectStore.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, path, clock, evidence, local, objectStore, signer, service, db: read, addCall, close, policies };
}

export function insertRecording(
  db: SqliteDatabase,
  r: { id: string; callId: string | null; key: string; startedAt: string; retainUntil?: string | null; disposition?: 'keep' | 'quarantine'; sha256?: string; bytes?: number; versionId?: string | null; store?: string },
): void {
  db.prepare(
    `INSERT INTO recordings (id, call_id, source, source_name, found_by, state, disposition, started_at, stopped_at, context_id,
       plaintext_bytes, plaintext_sha256, ciphertext_bytes, ciphertext_sha256, store, object_key, version_id, retain_until, created_at, updated_at)
     VALUES (@id, @callId, 'spool', @name, 'ami', 'done', @disposition, @startedAt, @startedAt, @ctx, @bytes, @sha, @bytes, @sha, @store, @key, @versionId, @retainUntil, @startedAt, @startedAt)`,
  ).run({
    id: r.id,
    callId: r.callId,
    name: `consentline-${r.id}.wav`,
    disposition: r.disposition ?? 'keep',
    startedAt: r.startedAt,
    ctx: r.callId ?? r.id,
    bytes: r.bytes ?? 10,
    sha: r.sha256 ?? '0'.repeat(64),
    store: r.store ?? 'local',
    key: r.key,
    versionId: r.versionId ?? null,
    retainUntil: r.retainUntil ?? null,
  });
}

export type RetentionWorld = Awaited<ReturnType<typeof retentionWorld>>;

export function deletionEvents(db: SqliteDatabase, recordingId: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM events WHERE kind = 'recording.deleted' AND json_extract(data, '$.recordingId') = ?`).get(recordingId) as { n: number }).n;
}

export function recordingState(db: SqliteDatabase, id: string): string {
  return (db.prepare('SELECT state FROM recordings WHERE id = ?').get(id) as { state: string }).state;
}

export const dpo = (id: string) => ({ tokenId: id, tokenName: `dpo-${id}`, role: 'dpo' });

export type { Config };

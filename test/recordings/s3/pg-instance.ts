/**
 * One ConsentLine instance's recordings side for the two-instance tests: its own pools, evidence
 * store, repository, worker id, spool and work dir, on a shared PostgreSQL schema and the real S3
 * (Ceph RGW).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { createPgPool } from '../../../src/db/pg.js';
import { openPgEvidenceStore, type PgEvidenceStore } from '../../../src/evidence/pg-store.js';
import type { StoredEvent } from '../../../src/evidence/types.js';
import { createRecordingEnvelope, createRecordingKeyring, type RecordingEnvelope } from '../../../src/recordings/crypto/index.js';
import { PgRecordingRepo, RecordingPipeline, SpoolSource, type RecordingRow } from '../../../src/recordings/pipeline/index.js';
import { S3ObjectStore } from '../../../src/recordings/storage/index.js';
import { logSink } from '../ami/helpers.js';
import { readAll, sha256 } from '../pipeline/helpers.js';
import { rgw, s3Client, storeConfig } from './rgw.js';

export interface Instance {
  readonly name: string;
  readonly evidence: PgEvidenceStore;
  readonly repo: PgRecordingRepo;
  readonly envelope: RecordingEnvelope;
  readonly store: S3ObjectStore;
  readonly pipeline: RecordingPipeline;
  readonly sink: ReturnType<typeof logSink>;
  close(): Promise<void>;
}

export interface InstanceSetup {
  readonly name: string;
  readonly dbUrl: string;
  readonly schema: string;
  readonly bucket: string;
  readonly spoolDir: string;
  readonly spoolId: string;
  /** Holds `recording.key` (shared by every instance) and `<name>/work`. */
  readonly dir: string;
}

export async function instance(s: InstanceSetup): Promise<Instance> {
  const evidence = await openPgEvidenceStore({ url: s.dbUrl, schema: s.schema, max: 3 });
  const pool = createPgPool({ url: s.dbUrl, schema: s.schema, max: 4 });
  const repo = new PgRecordingRepo(pool);
  const envelope = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(s.dir, 'recording.key') }));
  const store = new S3ObjectStore(storeConfig(s.bucket));
  const sink = logSink();
  const pipeline = new RecordingPipeline(
    {
      instanceId: s.name,
      spoolId: s.spoolId,
      capture: 'dialplan',
      quarantineDays: 7,
      verify: 'read-back',
      storeInfo: { store: 's3', bucket: s.bucket, region: rgw().region },
      concurrency: 2,
      initialBackoffMs: 50,
      maxBackoffMs: 200,
      pollMs: 20,
      scanIntervalMs: 40,
      settleMs: 0,
      leaseMs: 10_000,
    },
    { repo, evidence, store, envelope, source: new SpoolSource({ dir: s.spoolDir }), workDir: join(s.dir, s.name, 'work'), log: sink.logger, watcher: null },
  );
  return {
    name: s.name,
    evidence,
    repo,
    envelope,
    store,
    pipeline,
    sink,
    async close() {
      await pipeline.stop();
      await store.close();
      await evidence.close();
      await pool.end();
    },
  };
}

/** A call in the ledger with recording consent. */
export async function consentedCall(evidence: PgEvidenceStore): Promise<string> {
  const callId = randomUUID();
  const startedAt = new Date().toISOString();
  await evidence.append(
    { callId, kind: 'call.started', data: { flowId: 'main' } },
    { callOpen: { callId, startedAt, flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'asterisk-1', language: 'pl' } },
  );
  await evidence.append({ callId, kind: 'consent.recording', data: { value: 'yes' } }, { callPatch: { recording: 'yes', outcome: 'continued' } });
  return callId;
}

export async function allEvents(evidence: PgEvidenceStore): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of evidence.events()) out.push(e);
  return out;
}

/** The recordings each instance uploaded, by its log ('recording uploaded' or 'was already stored'). */
export function uploadsOf(i: Instance): Record<string, unknown>[] {
  return i.sink.lines().filter((l) => l['msg'] === 'recording uploaded' || l['msg'] === 'recording was already stored');
}

/** Spooled files by name: the call each belongs to and its audio. */
export type SpooledFiles = ReadonlyMap<string, { readonly callId: string; readonly wav: Buffer }>;

/**
 * What the instances leave behind for `rows` (all of them): one object per recording in the
 * bucket, each decrypting to its file as spooled; one chain in which each recording is stopped
 * and stored once, with no upload failure, and which verifies.
 */
export async function expectStoredOnce(bucket: string, rows: readonly RecordingRow[], files: SpooledFiles, reader: Instance, ledger: Instance): Promise<void> {
  const c = s3Client();
  const listed = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
  c.destroy();
  expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(rows.map((r) => r.object_key).sort());
  for (const r of rows) {
    const f = files.get(r.source_name)!;
    expect(r.call_id).toBe(f.callId);
    const plain = await readAll(reader.envelope.decryptStream(await reader.store.get(r.object_key!), { expectedCallId: f.callId }));
    expect(sha256(plain)).toBe(sha256(f.wav));
  }
  const events = await allEvents(ledger.evidence);
  for (const kind of ['recording.stopped', 'recording.stored'] as const) {
    const ids = events.filter((e) => e.kind === kind).map((e) => e.data['recordingId']);
    expect(ids.sort(), kind).toEqual(rows.map((r) => r.id).sort());
  }
  expect(events.some((e) => e.kind === 'recording.upload_failed')).toBe(false);
  const head = await reader.evidence.head();
  expect(await reader.evidence.verify()).toEqual({ ok: true, checked: head!.seq, headHash: head!.hash });
}

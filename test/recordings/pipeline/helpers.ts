import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openSqlite, type SqliteDatabase } from '../../../src/db/sqlite.js';
import { openSqliteEvidenceStore, type SqliteEvidenceStore } from '../../../src/evidence/sqlite-store.js';
import { createSubject } from '../../../src/evidence/subject.js';
import type { StoredEvent } from '../../../src/evidence/types.js';
import { createAmiWatcher, type AmiWatcher } from '../../../src/recordings/ami/watcher.js';
import { createRecordingEnvelope, createRecordingKeyring, withEncryptionThreads, type RecordingEnvelope } from '../../../src/recordings/crypto/index.js';
import { RecordingPipeline, RecordingRepo, SpoolSource, type RecordingPipelineOptions, type RecordingSource } from '../../../src/recordings/pipeline/index.js';
import type { RecordingPipelineDeps } from '../../../src/recordings/pipeline/pipeline.js';
import type { RecordingRow, RecordingState } from '../../../src/recordings/pipeline/repo.js';
import { LocalObjectStore } from '../../../src/recordings/storage/local-store.js';
import type { ObjectStore } from '../../../src/recordings/storage/port.js';
import type { Clock } from '../../../src/shared/clock.js';
import { createMetrics, type Metrics } from '../../../src/shared/metrics.js';
import { AmiEmulator, type AmiClass, type RecordingAudio } from '../../emulators/ami/index.js';
import { logSink } from '../ami/helpers.js';

export const PEPPER = 'test-pepper-0123456789abcdef0123456789';
export const AMI_USER = { username: 'consentline', secret: 'ami-s3cret', read: ['call', 'dialplan'], write: ['call', 'system'] } as const;

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A clock the test moves (quarantine expiry). */
export function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

/** One test's world: temp dirs, the real SQLite ledger file, a local key and store, the AMI emulator. */
export interface World {
  readonly dir: string;
  readonly spoolDir: string;
  readonly dataDir: string;
  readonly dbPath: string;
  readonly evidence: SqliteEvidenceStore;
  readonly db: SqliteDatabase;
  readonly envelope: RecordingEnvelope;
  readonly objects: LocalObjectStore;
  readonly emu: AmiEmulator;
  readonly metrics: Metrics;
  readonly sink: ReturnType<typeof logSink>;
  watcher: AmiWatcher | null;
  /** Starts (or restarts) a pipeline instance on the same database. */
  pipeline(opts?: PipelineOpts): RecordingPipeline;
  current: RecordingPipeline | null;
  close(): Promise<void>;
}

export interface PipelineOpts {
  readonly options?: Partial<RecordingPipelineOptions>;
  readonly store?: ObjectStore;
  readonly source?: RecordingSource;
  readonly clock?: Clock;
  readonly watcher?: boolean;
  readonly isDoNotRecord?: (k: string) => boolean;
  /** The ledger as this pipeline instance sees it (a wrapper that fails some appends). */
  readonly evidence?: RecordingPipelineDeps['evidence'];
  readonly start?: boolean;
}

/**
 * `amiWrite`: the AMI user's write classes (default call and system, as capture mode `ami` needs);
 * `actionAudio`: what recordings started by the AMI MixMonitor action write.
 */
export async function world(opts: { amiWrite?: readonly AmiClass[]; actionAudio?: RecordingAudio } = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'cl-pipe-'));
  const spoolDir = join(dir, 'spool');
  const dataDir = join(dir, 'data');
  mkdirSync(spoolDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const dbPath = join(dataDir, 'consentline.sqlite');
  // Inline commits (no writer thread): the evidence store's own tests cover its thread.
  const evidence = await openSqliteEvidenceStore({ path: dbPath, writerThread: false });
  const { db } = openSqlite({ path: dbPath });
  // One encryption thread, as the service runs by default (recordings.worker.encryptionThreads).
  const keyConfig = { mode: 'local', keyFile: join(dataDir, 'secrets', 'recording.key') } as const;
  const envelope = withEncryptionThreads(createRecordingEnvelope(await createRecordingKeyring(keyConfig)), keyConfig, { threads: 1 });
  const objects = new LocalObjectStore({ root: join(dataDir, 'recordings', 'store') });
  const user = { ...AMI_USER, write: opts.amiWrite ?? AMI_USER.write };
  const emu = await AmiEmulator.start({
    users: [user],
    monitorDir: spoolDir,
    authFailDelayMs: 10,
    ...(opts.actionAudio ? { actionAudio: opts.actionAudio } : {}),
  });
  const metrics = createMetrics();
  const sink = logSink();
  const w: World = {
    dir,
    spoolDir,
    dataDir,
    dbPath,
    evidence,
    db,
    envelope,
    objects,
    emu,
    metrics,
    sink,
    watcher: null,
    current: null,
    pipeline(opts: PipelineOpts = {}) {
      if (opts.watcher !== false && !w.watcher) {
        w.watcher = createAmiWatcher(
          { host: emu.host, port: emu.port, username: AMI_USER.username, secret: AMI_USER.secret, backoff: { initialMs: 20, maxMs: 100 } },
          { logger: sink.logger, random: () => 1 },
        );
        w.watcher.start();
      }
      const p = new RecordingPipeline(
        {
          instanceId: 'consentline-test',
          capture: 'dialplan',
          quarantineDays: 7,
          verify: 'read-back',
          storeInfo: { store: 'local', region: null },
          concurrency: 2,
          initialBackoffMs: 50,
          maxBackoffMs: 200,
          pollMs: 20,
          scanIntervalMs: 100,
          settleMs: 300,
          leaseMs: 5_000,
          ...opts.options,
        },
        {
          repo: new RecordingRepo(db),
          evidence: opts.evidence ?? evidence,
          store: opts.store ?? objects,
          envelope,
          source: opts.source ?? new SpoolSource({ dir: spoolDir }),
          workDir: join(dataDir, 'recordings', 'work'),
          watcher: opts.watcher === false ? null : w.watcher,
          log: sink.logger,
          metrics,
          ...(opts.clock ? { clock: opts.clock } : {}),
          ...(opts.isDoNotRecord ? { isDoNotRecord: opts.isDoNotRecord } : {}),
        },
      );
      if (opts.start !== false) p.start();
      w.current = p;
      return p;
    },
    async close() {
      await w.current?.stop();
      await envelope.close();
      await w.watcher?.stop();
      await emu.stop();
      await evidence.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return w;
}

/** A call in the ledger as the consent flow leaves it: opened with a caller, then the recording decision. */
export async function ledgerCall(w: World, recording: 'yes' | 'no', caller = '+48600100200', startedAt = new Date().toISOString()): Promise<string> {
  const callId = randomUUID();
  const subject = createSubject(caller, PEPPER);
  await w.evidence.append(
    { callId, kind: 'call.started', data: { flowId: 'main', commitment: subject.commitment } },
    {
      subject,
      callOpen: { callId, startedAt, flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'asterisk-1', language: 'pl' },
    },
  );
  await w.evidence.append({ callId, kind: 'consent.recording', data: { value: recording } }, { callPatch: { recording, outcome: 'continued' } });
  return callId;
}

let uid = 1_700_000_000;
/** The dialplan after `continue`: CONSENT_* on the inbound channel, MixMonitor into the spool dir. */
export function dialplanRecording(
  w: World,
  callId: string | null,
  opts: { seconds?: number; consentRecording?: string; file?: string } = {},
) {
  const u = ++uid;
  const call = w.emu.createLocalCall({ id: `c${u}`, callerIdNum: '48600100200', inboundUniqueid: `${u}.2` });
  w.emu.setState(call.inbound, 'Up');
  if (callId !== null) w.emu.setVar(call.inbound, 'CONSENT_ID', callId);
  w.emu.setVar(call.inbound, 'CONSENT_RECORDING', opts.consentRecording ?? 'yes');
  const file = opts.file ?? `consentline-${callId ?? 'none'}-${u}.2.wav`;
  const full = w.emu.startMixMonitor(call.inbound, file, { seconds: opts.seconds ?? 1 });
  return { call, file, full, hangup: () => w.emu.hangupLocalCall(call) };
}

export function rows(w: World): RecordingRow[] {
  return w.db.prepare('SELECT * FROM recordings ORDER BY created_at').all() as RecordingRow[];
}

export function rowBySource(w: World, name: string): RecordingRow | undefined {
  return w.db.prepare('SELECT * FROM recordings WHERE source_name = ? ORDER BY created_at DESC LIMIT 1').get(name) as RecordingRow | undefined;
}

export async function waitState(w: World, name: string, state: RecordingState, timeoutMs = 10_000): Promise<RecordingRow> {
  return waitFor(() => {
    const r = rowBySource(w, name);
    return r?.state === state ? r : undefined;
  }, `${name} in state ${state} (now ${rowBySource(w, name)?.state ?? 'no row'}, last error ${rowBySource(w, name)?.last_error ?? '-'})`, timeoutMs);
}

export async function eventsOf(w: World, recordingId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of w.evidence.events()) if (e.data['recordingId'] === recordingId) out.push(e);
  return out;
}

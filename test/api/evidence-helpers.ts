import { assuranceRoutes } from '../../src/api/routes/assurance.js';
import { agentRoutes } from '../../src/api/routes/agents.js';
import { AgentRegistry } from '../../src/joiners/agents.js';
import { AgentRepo } from '../../src/joiners/repo.js';
import { AssuranceRunner } from '../../src/assurance/runner.js';
import { AssuranceService } from '../../src/assurance/service.js';
import { sqliteAssurance, sqliteExec } from '../../src/assurance/sql-sqlite.js';
import { outcomeCheckRoutes } from '../../src/api/routes/outcome-check.js';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/api/app.js';
import { evidenceRoutes, type EvidenceApiDeps } from '../../src/api/routes/evidence.js';
import { recordingControlRoutes } from '../../src/api/routes/recording-control.js';
import type { RecordingController } from '../../src/recordings/control/port.js';
import { recordingApiRoutes } from '../../src/api/routes/recordings.js';
import { retentionApiRoutes } from '../../src/api/routes/retention.js';
import { SqliteTokenStore, type Role } from '../../src/api/tokens.js';
import type { ApiInstance } from '../../src/api/types.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { AccessLog } from '../../src/evidence/access-log.js';
import { loadOrCreateSigner } from '../../src/evidence/checkpoint.js';
import { openSqliteReadSide, readSideCheckpoints } from '../../src/evidence/open-read-side.js';
import { openSqliteEvidenceStore, type SqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { createSubject } from '../../src/evidence/subject.js';
import type { Outcome, StoredEvent } from '../../src/evidence/types.js';
import { createMetrics } from '../../src/shared/metrics.js';
import { createRecordingEnvelope, createRecordingKeyring, type RecordingEnvelope } from '../../src/recordings/crypto/index.js';
import { RecordingRepo } from '../../src/recordings/pipeline/repo.js';
import { LocalObjectStore } from '../../src/recordings/storage/index.js';
import { resolvePolicies } from '../../src/retention/policy.js';
import { SqliteRetentionRepo } from '../../src/retention/repo-sqlite.js';
import { RetentionService } from '../../src/retention/service.js';
import { logSink } from './helpers.js';
import { marketingApiRoutes } from '../../src/api/routes/marketing.js';
import { withdrawalApiRoutes } from '../../src/api/routes/withdrawals.js';
import { ConsentWithdrawals } from '../../src/retention/withdrawal.js';

/** Assurance's repository and ledger questions on one SQLite connection, as the SQLite engine builds them. */

export const PEPPER = 'test-pepper-0123456789abcdef0123456789abcdef';
export const ORIGIN = 'consentline.test/ledger';

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly role: Role | undefined;
  readonly public: boolean;
}

/** This host's recording key: a local AES key (decrypts), the RSA public key only, or none that opened. */
export type TestRecordingKey = 'local' | 'rsa-public' | 'none';

async function testEnvelope(dir: string, key: TestRecordingKey): Promise<RecordingEnvelope | null> {
  if (key === 'none') return null;
  if (key === 'local') return createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'secrets', 'recording.key') }));
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  const pub = join(dir, 'secrets', 'recording-public.pem');
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return createRecordingEnvelope(await createRecordingKeyring({ mode: 'rsa', publicKeyFile: pub }));
}

/**
 * The auditor/DPO API on a real SQLite file in a temp directory, with the evidence writer,
 * a separate read connection (as in the service), a checkpoint key and every route; a local
 * object store and recording key for retention and playback. `faults.accessLog = true` makes
 * every access-log write fail (the ledger is fine otherwise).
 */
export async function evidenceApp(opts: { rateLimitPerMinute?: number; recordingKey?: TestRecordingKey } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-api-'));
  const path = join(dir, 'ledger.sqlite');
  let t = Date.parse('2026-03-02T10:00:00.000Z');
  const clock = { now: () => t++ };
  const store = await openSqliteEvidenceStore({ path, clock });
  const { db } = openSqlite({ path });
  const tokens = new SqliteTokenStore(db);
  // The API's read side as the service opens it (its own connection).
  const side = openSqliteReadSide(path);
  const { queries } = side;
  const { signer } = loadOrCreateSigner(join(dir, 'secrets', 'checkpoint.pem'), ORIGIN);
  const checkpoints = readSideCheckpoints(side, { signer, clock });
  const faults = { accessLog: false };
  const access = new AccessLog({
    append: (event, effects) => (faults.accessLog ? Promise.reject(new Error('ledger write failed (test fault)')) : store.append(event, effects)),
  });
  const deps: EvidenceApiDeps = {
    queries,
    access,
    checkpoints,
    signer,
    pepper: PEPPER,
    defaultCountryCode: '48',
    controller: FULL_CONTROLLER,
    config: { evidence: { pepper: PEPPER }, ari: { url: 'http://pbx:8088', password: 'ari-secret' }, controller: { name: 'Example' } },
    clock,
  };
  // Retention, holds, data-subject and recording routes on the same file, with a local object store.
  const objects = new LocalObjectStore({ root: join(dir, 'store') }, { clock });
  const envelope = await testEnvelope(dir, opts.recordingKey ?? 'local');
  const recordings = new RecordingRepo(db);
  const retention = new RetentionService({
    repo: new SqliteRetentionRepo(db),
    evidence: store,
    objectStore: objects,
    signer,
    pepper: PEPPER,
    controller: deps.controller,
    clock,
    log: logSink().log,
    policies: resolvePolicies({ default: { recordingsDays: 90, evidenceDays: 2190 } }, [{ id: 'main' }, { id: 'sales' }], { quarantineDays: 7 }),
    instanceId: 'cl-api-test',
    options: { batchSize: 500, leaseSeconds: 60, deleteAttempts: 2, bypassGovernanceForErasure: false },
  });
  const registered: RegisteredRoute[] = [];
  const sink = logSink();
  const assuranceDb = sqliteAssurance(db);
  const assurance = new AssuranceService({
    ...assuranceDb,
    runner: new AssuranceRunner({ ...assuranceDb, evidence: store, store: objects, clock, stasisApp: 'consentline', stuckAfterMinutes: 60 }),
    evidence: store,
    clock,
    log: sink.log,
  });
  const agents = new AgentRegistry({ repo: new AgentRepo(sqliteExec(db)), evidence: store, clock, minDays: 14, defaultLanguage: 'pl' });
  const app: ApiInstance = await buildApp({
    log: sink.log,
    tokens,
    metrics: createMetrics(),
    readiness: async () => ({ database: { status: 'up' } }),
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 1_000_000,
    routes: [
      ...evidenceRoutes(deps),
      outcomeCheckRoutes({ queries, clock, outcomeGraceSeconds: 3660 }),
      assuranceRoutes({ assurance }),
      agentRoutes({ agents, pepper: PEPPER }),
      ...retentionApiRoutes({ retention, access: deps.access, defaultCountryCode: '48' }),
      ...recordingApiRoutes({ recordings, store: objects, envelope, access: deps.access, callEvents: (id) => store.callEvents(id) }),
      recordingControlRoutes({ control: ledgerOnlyControl(store), pepper: PEPPER }),
      ...marketingApiRoutes({ registry: side.marketing, access: deps.access, pepper: PEPPER, defaultCountryCode: '48' }),
      ...withdrawalApiRoutes({ withdrawals: new ConsentWithdrawals({ repo: new SqliteRetentionRepo(db), evidence: store, pepper: PEPPER, clock }), defaultCountryCode: '48' }),
    ].map((routes) => async (scope: ApiInstance) => {
      scope.addHook('onRoute', (r) => {
        for (const method of [r.method].flat()) {
          if (method === 'HEAD') continue;
          registered.push({ method, url: r.url, role: r.config?.role, public: r.config?.public === true });
        }
      });
      await routes(scope);
    }),
  });
  const issue = async (role: Role) => (await tokens.create(`t-${role}`, role)).token;
  const close = async () => {
    await app.close();
    await store.close();
    await side.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { app, store, db, path, dir, tokens, side, queries, checkpoints, signer, deps, retention, objects, envelope, recordings, faults, registered, logs: sink.lines, issue, close, assurance, assuranceRepo: assuranceDb.repo, agents };
}

export type EvidenceApp = Awaited<ReturnType<typeof evidenceApp>>;

/**
 * A recording controller with no Asterisk behind it (the route and auth tests): a call the ledger
 * knows is paused or resumed at once; the AMI side is tested in test/recordings/control.
 */
function ledgerOnlyControl(store: SqliteEvidenceStore): RecordingController {
  const known = async (callId: string) => (await store.getCall(callId)) !== null;
  const done = (state: 'paused' | 'recording' | 'stopped') => ({ status: 'done' as const, state, changed: true, at: new Date().toISOString() });
  return {
    pause: async (callId) => ((await known(callId)) ? done('paused') : { status: 'unknown_call' }),
    resume: async (callId) => ((await known(callId)) ? done('recording') : { status: 'unknown_call' }),
    stopRecordingForRestOfCall: async (callId) => ((await known(callId)) ? done('stopped') : { status: 'unknown_call' }),
  };
}

export interface SeedCall {
  readonly callId: string;
  readonly number?: string | null;
  readonly did?: string;
  readonly flowId?: string;
  readonly startedAt: string;
  readonly outcome: Outcome;
  readonly legalBasis?: 'consent_by_conduct' | 'explicit_consent' | 'legitimate_interest';
  readonly clause?: boolean;
  readonly marketing?: 'yes' | 'no';
}

const AUDIO = 'ab'.repeat(32);

/** Every controller detail a standard consent receipt requires (fictitious). */
export const FULL_CONTROLLER = {
  name: 'Example Controller Sp. z o.o.',
  jurisdiction: 'PL',
  contact: 'iod@example.pl',
  address: { streetAddress: 'ul. Przykładowa 1', locality: 'Warszawa', postalCode: '00-001', country: 'PL' },
  email: 'iod@example.pl',
  phone: '+48 22 123 45 67',
  url: 'https://example.pl',
  policyUrl: 'https://example.pl/rodo/nagrywanie',
};

/** Appends the events a real flow writes for one call, with its subject and projection. */
export async function seedCall(store: SqliteEvidenceStore, c: SeedCall): Promise<StoredEvent[]> {
  const did = c.did ?? '+48221234567';
  const flowId = c.flowId ?? 'main';
  const legalBasis = c.legalBasis ?? 'consent_by_conduct';
  const subject = c.number ? createSubject(c.number, PEPPER) : null;
  const at = (ms: number) => new Date(Date.parse(c.startedAt) + ms).toISOString();
  const out: StoredEvent[] = [];
  const add = async (...args: Parameters<SqliteEvidenceStore['append']>) => out.push(await store.append(...args));
  await add(
    {
      callId: c.callId,
      kind: 'call.started',
      at: c.startedAt,
      data: { flowId, legalBasis, did, channelId: `ch-${c.callId}`, server: 'pbx-1', instance: 'cl-1', lang: 'pl', caller: subject?.commitment ?? null },
    },
    {
      ...(subject ? { subject } : {}),
      callOpen: { callId: c.callId, startedAt: c.startedAt, flowId, did, legalBasis, server: 'pbx-1', language: 'pl' },
    },
  );
  const notice = (playback: string) => ({
    promptId: 'notice',
    lang: 'pl',
    version: '3',
    audioSha256: AUDIO,
    playbackId: `${c.callId}-1`,
    startedAt: at(100),
    endedAt: at(9000),
    playback,
    step: 'notice',
  });
  if (c.outcome === 'abandoned') {
    await add({ callId: c.callId, kind: 'prompt.played', at: at(9000), data: notice('hangup') });
    await add({ callId: c.callId, kind: 'call.abandoned', at: at(9001), data: { step: 'notice' } }, { callPatch: { outcome: 'abandoned', recording: 'no', endedAt: at(9001) } });
    return out;
  }
  await add({ callId: c.callId, kind: 'prompt.played', at: at(9000), data: notice('completed') });
  if (c.clause) await add({ callId: c.callId, kind: 'clause.listened', at: at(20000), data: { completed: true, lang: 'pl' } });
  if (c.outcome === 'objected') {
    await add({ callId: c.callId, kind: 'objection.made', at: at(21000), data: { legalBasis } });
    await add(
      { callId: c.callId, kind: 'call.continued', at: at(22000), data: { outcome: 'objected', route: 'agents', recording: 'no', marketing: 'none', lang: 'pl' } },
      { callPatch: { outcome: 'objected', recording: 'no', marketing: 'none', endedAt: at(22000) } },
    );
    return out;
  }
  if (c.outcome === 'failed') {
    await add({ callId: c.callId, kind: 'call.failed', at: at(21000), data: { step: 'menu', reason: 'ari_unreachable', route: 'fallback', recording: 'no' } }, { callPatch: { outcome: 'failed', recording: 'no', marketing: 'none', endedAt: at(21000) } });
    return out;
  }
  await add({ callId: c.callId, kind: 'consent.recording', at: at(21000), data: { decision: 'granted', legalBasis, how: 'conduct' } });
  if (c.marketing) {
    await add({
      callId: c.callId,
      kind: 'consent.marketing',
      at: at(25000),
      data: { decision: c.marketing, controller: 'Example Controller Sp. z o.o.', channels: ['phone', 'sms'], digit: c.marketing === 'yes' ? '1' : '2', lang: 'pl' },
    });
  }
  const marketing = c.marketing ?? 'none';
  await add(
    { callId: c.callId, kind: 'call.continued', at: at(26000), data: { outcome: 'continued', route: 'agents', recording: 'yes', marketing, lang: 'pl' } },
    { callPatch: { outcome: 'continued', recording: 'yes', marketing, endedAt: at(26000) } },
  );
  return out;
}

/** A small, varied set of calls over two days and two flows. */
export async function seedSample(store: SqliteEvidenceStore) {
  const calls: SeedCall[] = [
    { callId: 'c-01', number: '+48600123456', startedAt: '2026-03-01T09:00:00.000Z', outcome: 'continued', marketing: 'yes', clause: true },
    { callId: 'c-02', number: '+48600123456', startedAt: '2026-03-01T10:00:00.000Z', outcome: 'objected' },
    { callId: 'c-03', number: '+48601000001', startedAt: '2026-03-01T11:00:00.000Z', outcome: 'abandoned' },
    { callId: 'c-04', number: '+48601000002', startedAt: '2026-03-01T12:00:00.000Z', outcome: 'continued', marketing: 'no', did: '+48227654321' },
    { callId: 'c-05', number: null, startedAt: '2026-03-02T08:00:00.000Z', outcome: 'failed', flowId: 'sales' },
    { callId: 'c-06', number: '+48600123456', startedAt: '2026-03-02T09:00:00.000Z', outcome: 'continued', flowId: 'sales', legalBasis: 'explicit_consent' },
  ];
  const events = new Map<string, StoredEvent[]>();
  for (const c of calls) events.set(c.callId, await seedCall(store, c));
  return { calls, events };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

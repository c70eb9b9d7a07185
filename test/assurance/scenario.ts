/**
 * One assurance scenario for both engines: a window with one call of each situation the
 * reconciliation must tell apart, seeded into the ledger, Asterisk's records (CEL), the
 * recordings table and a local object store; then runs, acknowledgement and resolution.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { AssuranceRepo } from '../../src/assurance/repo.js';
import { AssuranceRunner } from '../../src/assurance/runner.js';
import { AssuranceService } from '../../src/assurance/service.js';
import type { SqlExec } from '../../src/assurance/sql.js';
import type { AssuranceLedger } from '../../src/evidence/assurance-ledger.js';
import type { EvidenceStore } from '../../src/evidence/store.js';
import type { CelEventName } from '../../src/recordings/ami/cel.js';
import { LocalObjectStore } from '../../src/recordings/storage/index.js';
import { createLogger } from '../../src/shared/log.js';

export interface Engine {
  readonly store: EvidenceStore;
  readonly exec: SqlExec;
  readonly ledger: AssuranceLedger;
  readonly storeDir: string;
}

export const T0 = '2026-11-30T08:00:00.000Z';
export const WINDOW = { from: T0, to: '2026-11-30T09:00:00.000Z' };
const at = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString();
const NOW = Date.parse(T0) + 3 * 3_600_000;

async function call(store: EvidenceStore, o: { min: number; channel: string; recording: 'yes' | 'no'; outcome?: 'continued' | 'objected'; extra?: Array<{ kind: 'recording.start_failed'; data: Record<string, string> }> }) {
  const callId = randomUUID();
  const startedAt = at(o.min);
  await store.append(
    { callId, kind: 'call.started', at: startedAt, data: { flowId: 'main', did: '+48221234567', channelId: o.channel } },
    { callOpen: { callId, startedAt, flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: 'pl' } },
  );
  await store.append({ callId, kind: 'consent.recording', at: at(o.min + 0.5), data: { decision: o.recording === 'yes' ? 'granted' : 'refused' } }, { callPatch: { recording: o.recording } });
  const outcome = o.outcome ?? 'continued';
  await store.append({ callId, kind: 'call.continued', at: at(o.min + 1), data: { route: 'agents' } }, { callPatch: { outcome } });
  for (const e of o.extra ?? []) await store.append({ callId, kind: e.kind, at: at(o.min + 2), data: e.data });
  return callId;
}

/** CEL of one Asterisk call: the consent channel enters Stasis; then an agent (answered or not) and MixMonitor. */
function cel(min: number, channel: string, o: { agent?: 'answered' | 'ringing'; mixMonitor?: string }) {
  const rows: Array<{ receivedAt: string; cel: { eventName: CelEventName; eventTime: string; uniqueid: string; linkedid: string; channelTech: string; context: string; application: string; appArg: string } }> = [];
  const add = (eventName: CelEventName, uniqueid: string, application = '', appArg = '') =>
    rows.push({ receivedAt: at(min), cel: { eventName, eventTime: '2026-11-30 09:00:00', uniqueid, linkedid: channel, channelTech: 'PJSIP', context: 'consentline-inbound', application, appArg } });
  add('CHAN_START', channel);
  add('APP_START', channel, 'Stasis', 'consentline');
  add('ANSWER', channel);
  if (o.agent) {
    add('CHAN_START', `${channel}-agent`);
    if (o.agent === 'answered') add('ANSWER', `${channel}-agent`);
  }
  if (o.mixMonitor) add('APP_START', channel, 'MixMonitor', o.mixMonitor);
  add('HANGUP', channel);
  return rows;
}

async function row(x: SqlExec, r: { id?: string; callId: string | null; min: number; state: string; disposition?: 'keep' | 'quarantine'; reason?: string; objectKey?: string; createdAt?: string; sha?: string }) {
  const id = r.id ?? randomUUID();
  const created = r.createdAt ?? at(r.min + 3);
  await x.run(
    `INSERT INTO recordings (id, call_id, source, source_name, found_by, state, disposition, quarantine_reason, started_at, context_id, object_key, plaintext_sha256, attempts, created_at, updated_at)
     VALUES (?, ?, 'spool', ?, 'ami', ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
    [id, r.callId, `consentline-${id}.wav`, r.state, r.disposition ?? null, r.reason ?? null, at(r.min), r.callId ?? id, r.objectKey ?? null, r.sha ?? null, created, created],
  );
  return id;
}

async function lastEvent(store: EvidenceStore) {
  const head = (await store.head())!;
  for await (const ev of store.events({ fromSeq: head.seq, toSeq: head.seq })) return ev;
  throw new Error('no event');
}

async function put(dir: string, key: string) {
  await mkdir(dirname(join(dir, key)), { recursive: true });
  await writeFile(join(dir, key), 'ciphertext');
}

export async function assuranceScenario(e: Engine): Promise<void> {
  const { store, exec: x } = e;
  const repo = new AssuranceRepo(x);
  const objects = new LocalObjectStore({ root: e.storeDir });
  // A: consent, agent answered, recorded and stored: reconciles.
  const a = await call(store, { min: 1, channel: 'ch-a', recording: 'yes' });
  const keyA = `recordings/2026/11/30/${a}/${randomUUID()}.wav.enc`;
  await put(e.storeDir, keyA);
  await row(x, { callId: a, min: 2, state: 'done', disposition: 'keep', objectKey: keyA, sha: 'a'.repeat(64) });
  // B: consent, agent answered, MixMonitor ran, the file never made it (row failed): not recorded.
  const b = await call(store, { min: 5, channel: 'ch-b', recording: 'yes' });
  await row(x, { callId: b, min: 6, state: 'failed' });
  // C: no consent, yet MixMonitor ran and the pipeline quarantined the file.
  const c = await call(store, { min: 10, channel: 'ch-c', recording: 'no', outcome: 'objected' });
  await row(x, { callId: c, min: 11, state: 'done', disposition: 'quarantine', reason: 'no_consent' });
  // E: a file of no known call (planted in the spool).
  const planted = await row(x, { callId: null, min: 20, state: 'done', disposition: 'quarantine', reason: 'unknown_call' });
  // F: stuck in the pipeline for two hours and more.
  const stuck = await row(x, { callId: a, min: 25, state: 'encrypted', createdAt: at(26) });
  // G: one channel, two ledger calls.
  await call(store, { min: 30, channel: 'ch-g', recording: 'no' });
  await call(store, { min: 31, channel: 'ch-g', recording: 'no' });
  // H: consent, agent answered, not recorded, with a stated reason: reconciles.
  await call(store, { min: 35, channel: 'ch-h', recording: 'yes', extra: [{ kind: 'recording.start_failed', data: { reason: 'refused' } }] });
  // I: consent, the caller hung up before any agent answered: nothing to record, reconciles.
  await call(store, { min: 40, channel: 'ch-i', recording: 'yes' });
  // J: in the ledger, not in Asterisk's records (CEL off or AMI down then): counted, no finding.
  await call(store, { min: 45, channel: 'ch-j', recording: 'no' });
  // A stored object no row names.
  const stray = `recordings/2026/11/30/${randomUUID()}/${randomUUID()}.wav.enc`;
  await put(e.storeDir, stray);
  // Outside the window: ignored.
  await call(store, { min: 90, channel: 'ch-late', recording: 'yes' });
  await repo.insertCel([
    ...cel(1, 'ch-a', { agent: 'answered', mixMonitor: 'consentline-a.wav' }),
    ...cel(5, 'ch-b', { agent: 'answered', mixMonitor: 'consentline-b.wav' }),
    ...cel(10, 'ch-c', { mixMonitor: 'consentline-c.wav' }),
    ...cel(15, 'ch-d', { agent: 'answered' }), // D: Asterisk's call in the consent flow, no ledger call
    ...cel(30, 'ch-g', {}),
    ...cel(35, 'ch-h', { agent: 'answered' }),
    ...cel(40, 'ch-i', { agent: 'ringing' }),
  ]);

  const log = createLogger({ level: 'silent' });
  let tick = 0;
  const clock = { now: () => NOW + tick++ * 1000 };
  const runner = new AssuranceRunner({ repo, ledger: e.ledger, evidence: store, store: objects, clock, stasisApp: 'consentline', stuckAfterMinutes: 60 });
  const changes: unknown[] = [];
  const service = new AssuranceService({ repo, runner, evidence: store, clock, log, onRun: (r) => changes.push(r) });

  const first = await service.run(WINDOW, 'cli');
  const subjects = first.findings.map((f) => `${f.kind} ${f.subject}`).sort();
  expect(subjects).toEqual(
    [
      `call_without_evidence channel:ch-d`,
      `consented_call_not_recorded call:${b}`,
      `duplicate channel:ch-g`,
      `recording_stuck recording:${stuck}`,
      `recording_without_consent call:${c}`,
      `recording_without_consent object:${stray}`,
      `recording_without_consent recording:${planted}`,
    ].sort(),
  );
  expect(first.found).toEqual({ call_without_evidence: 1, recording_without_consent: 3, consented_call_not_recorded: 1, duplicate: 1, recording_stuck: 1 });
  expect(first.open).toBe(7);
  expect(first.opened).toBe(7);
  expect(first.coverage).toMatchObject({ ledgerCalls: 8, ledgerCallsWithoutAsteriskRecord: 1, objectsListed: true });
  const notRecorded = first.findings.find((f) => f.kind === 'consented_call_not_recorded')!;
  expect(notRecorded.detail).toMatchObject({ agentAnswered: true, mixMonitorSeen: true, pipeline: [{ state: 'failed' }] });

  // The audit trail: one assurance.run per run, with the counts.
  const runEvent = await lastEvent(store);
  expect(runEvent.kind).toBe('assurance.run');
  expect(runEvent.data).toMatchObject({ runId: first.runId, trigger: 'cli', status: 'done', open: 7, found: first.found });

  // A second run finds the same, opens nothing new.
  const second = await service.run(WINDOW, 'schedule');
  expect(second.opened).toBe(0);
  expect(second.findings.map((f) => f.id).sort()).toEqual(first.findings.map((f) => f.id).sort());

  // The DPO acknowledges the planted file with a reason; the ledger says who and why.
  const plantedFinding = first.findings.find((f) => f.subject === `recording:${planted}`)!;
  const who = { tokenId: 't1', tokenName: 'dpo-anna', role: 'dpo', subject: 'anna' };
  const ack = await service.acknowledge(plantedFinding.id, who, 'test file planted by the PBX admin; quarantined and deleted');
  expect(ack).toMatchObject({ status: 'acknowledged', finding: { status: 'acknowledged', acknowledgedBy: 'anna', ackReason: 'test file planted by the PBX admin; quarantined and deleted' } });
  const ackEvent = await lastEvent(store);
  expect(ackEvent).toMatchObject({ kind: 'assurance.acknowledged', callId: null, data: { findingId: plantedFinding.id, by: 'anna', reason: 'test file planted by the PBX admin; quarantined and deleted' } });
  expect(await service.acknowledge(plantedFinding.id, who, 'again')).toMatchObject({ status: 'not_open' });
  expect(await service.acknowledge('af-000000000000000000000000', who, 'x')).toEqual({ status: 'not_found' });

  // B's recording arrives late and the stuck row finishes: the next run resolves both; the acknowledged one stays acknowledged.
  const keyB = `recordings/2026/11/30/${b}/${randomUUID()}.wav.enc`;
  await put(e.storeDir, keyB);
  await row(x, { callId: b, min: 7, state: 'done', disposition: 'keep', objectKey: keyB, sha: 'b'.repeat(64) });
  await x.run("UPDATE recordings SET state = 'done', disposition = 'keep' WHERE id = ?", [stuck]);
  const third = await service.run(WINDOW, 'api');
  expect(third.resolved).toBe(2);
  expect(third.open).toBe(4);
  const status = await service.status({ limit: 100 });
  expect(status.open).toEqual({ call_without_evidence: 1, recording_without_consent: 2, consented_call_not_recorded: 0, duplicate: 1, recording_stuck: 0 });
  expect(status.findings.find((f) => f.subject === `recording:${planted}`)!.status).toBe('acknowledged');
  expect(status.findings.find((f) => f.subject === `call:${b}`)!.status).toBe('resolved');
  expect(status.lastRun).toMatchObject({ status: 'done', trigger: 'api' });
  expect(changes).toEqual(['done', 'done', 'done']);

  // The same audio stored twice is a duplicate; a stored object that vanished makes B unrecorded again.
  await row(x, { callId: a, min: 3, state: 'done', disposition: 'keep', objectKey: `recordings/2026/11/30/${a}/${randomUUID()}.wav.enc`, sha: 'a'.repeat(64) });
  const { rm } = await import('node:fs/promises');
  await rm(join(e.storeDir, keyB));
  const fourth = await service.run(WINDOW, 'cli');
  expect(fourth.findings.filter((f) => f.status === 'open').map((f) => f.kind).sort()).toEqual(['call_without_evidence', 'consented_call_not_recorded', 'duplicate', 'duplicate', 'recording_without_consent', 'recording_without_consent']);
  expect(fourth.findings.find((f) => f.subject === `call:${b}`)!.detail).toMatchObject({ objectMissing: true });
}

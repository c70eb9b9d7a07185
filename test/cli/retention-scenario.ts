import { join } from 'node:path';
import { expect } from 'vitest';
import type { TokenStore } from '../../src/api/tokens.js';
import type { CliIo } from '../../src/cli/command.js';
import { holdList, holdRelease, holdSet } from '../../src/cli/commands/hold.js';
import { retentionRun } from '../../src/cli/commands/retention.js';
import { subjectAccess, subjectErase } from '../../src/cli/commands/subject.js';

/** A database (either engine) the CLI runs on, with what the scenario needs to seed and check it. */
export interface CliWorld {
  readonly dir: string;
  /** consentline.yaml naming this database and a local store; retention keeps recordings 5 days. */
  readonly configFile: string;
  readonly tokens: TokenStore;
  /** A call from `number` with a stored recording, captured at `startedAt`. */
  callWithRecording(startedAt: string, number: string): Promise<{ callId: string; recordingId: string }>;
  recordingState(id: string): Promise<string>;
  /** Kinds of the retention and access events in the ledger, in order. */
  retentionEventKinds(): Promise<string[]>;
  verify(): Promise<boolean>;
}

export function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, now: () => Date.now() };
  return { cli, out, err };
}

export const RETENTION_EVENT_KINDS = ['hold.set', 'hold.released', 'recording.deleted', 'access.logged', 'erasure.done'];

/**
 * `retention run` (dry run first) with a hold set by CLI, released by two different DPO tokens,
 * then `subject access` and `subject erase` of the held caller; the ledger verifies after.
 */
export async function holdSweepEraseScenario(w: CliWorld): Promise<void> {
  const file = w.configFile;
  const a = await w.callWithRecording('2020-01-01T00:00:00.000Z', '+48601000000');
  const b = await w.callWithRecording('2020-01-02T00:00:00.000Z', '+48601000001');
  const t1 = (await w.tokens.create('dpo-1', 'dpo')).token;
  const t2 = (await w.tokens.create('dpo-2', 'dpo')).token;
  const auditor = (await w.tokens.create('aud', 'auditor')).token;

  const held = io({ CONSENTLINE_TOKEN: t1 });
  expect(await holdSet.run(['--call', b.callId, '--reason', 'court', '--config', file, '--json'], held.cli)).toBe(0);
  const holdId = (JSON.parse(held.out[0]!) as { id: string }).id;
  expect(await holdSet.run(['--flow', 'main', '--reason', 'x', '--config', file, '--token', auditor], io().cli)).toBe(1);
  const unknown = io({ CONSENTLINE_TOKEN: t1 });
  expect(await holdSet.run(['--call', 'no-such-call', '--reason', 'court', '--config', file], unknown.cli)).toBe(1);
  expect(unknown.err.join('\n')).toMatch(/no call no-such-call in the evidence: nothing was held/);
  const list = io();
  expect(await holdList.run(['--active', '--config', file, '--json'], list.cli)).toBe(0);
  expect((JSON.parse(list.out[0]!) as Array<{ id: string }>).map((h) => h.id)).toEqual([holdId]);

  const dry = io();
  expect(await retentionRun.run(['--dry-run', '--config', file], dry.cli)).toBe(0);
  expect(dry.out[0]).toMatch(/DRY RUN: would delete 1 recording\(s\) of 2 due/);
  expect(await w.recordingState(a.recordingId)).toBe('done');

  const run = io();
  expect(await retentionRun.run(['--config', file, '--json'], run.cli)).toBe(0);
  expect(JSON.parse(run.out[0]!)).toMatchObject({ status: 'done', recordings: { deleted: 1, held: 1 } });
  expect(await w.recordingState(a.recordingId)).toBe('deleted');
  expect(await w.recordingState(b.recordingId)).toBe('done');

  expect(await holdRelease.run([holdId, '--config', file, '--token', t1], io().cli)).toBe(0);
  const same = io();
  expect(await holdRelease.run([holdId, '--config', file, '--token', t1], same.cli)).toBe(1);
  expect(same.err.join('\n')).toMatch(/different DPO token/);
  expect(await holdRelease.run([holdId, '--config', file, '--token', t2], io().cli)).toBe(0);

  const acc = io({ CONSENTLINE_TOKEN: t1 });
  expect(await subjectAccess.run(['+48601000001', '--out', join(w.dir, 'export'), '--lang', 'en', '--config', file], acc.cli)).toBe(0);
  expect(acc.out[0]).toMatch(/1 call/);

  const er = io({ CONSENTLINE_TOKEN: t2 });
  expect(await subjectErase.run(['+48601000001', '--config', file, '--out', join(w.dir, 'cert.json')], er.cli)).toBe(0);
  expect(er.err[0]).toMatch(/erased 1 call\(s\), 1 recording\(s\)/);
  expect(await w.recordingState(b.recordingId)).toBe('deleted');
  expect(await w.retentionEventKinds()).toEqual(['hold.set', 'recording.deleted', 'hold.released', 'access.logged', 'recording.deleted', 'erasure.done']);
  expect(await w.verify()).toBe(true);
}

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import type { CliIo } from '../../src/cli/command.js';
import { holdRelease, holdSet } from '../../src/cli/commands/hold.js';
import { retentionRun } from '../../src/cli/commands/retention.js';
import { subjectAccess, subjectErase } from '../../src/cli/commands/subject.js';
import { writeCliConfig } from './cli-config.js';
import { DAY, recordingState, retentionWorld, type RetentionWorld } from './helpers.js';

let w: RetentionWorld | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, now: () => Date.now() };
  return { cli, out, err };
}

function configFile(dir: string, path: string): string {
  return writeCliConfig(dir, {
    dbPath: path,
    store: `{ type: local, dir: ${JSON.stringify(join(dir, 'store'))} }`,
    retention: '{ default: { recordingsDays: 5, evidenceDays: 3650 } }',
  });
}

describe('CLI: retention run, hold, subject', () => {
  it('runs a sweep (dry run first), honours a hold set and released with two tokens, erases and exports a caller', async () => {
    w = await retentionWorld();
    const a = await w.addCall({ startedAt: '2020-01-01T00:00:00.000Z' });
    const b = await w.addCall({ startedAt: '2020-01-02T00:00:00.000Z', number: '+48601000001' });
    const file = configFile(w.dir, w.path);
    const tokens = new SqliteTokenStore(w.db);
    const t1 = (await tokens.create('dpo-1', 'dpo')).token;
    const t2 = (await tokens.create('dpo-2', 'dpo')).token;
    const auditor = (await tokens.create('aud', 'auditor')).token;

    const held = io({ CONSENTLINE_TOKEN: t1 });
    expect(await holdSet.run(['--call', b.callId, '--reason', 'court', '--config', file, '--json'], held.cli)).toBe(0);
    const holdId = (JSON.parse(held.out[0]!) as { id: string }).id;
    expect(await holdSet.run(['--flow', 'main', '--reason', 'x', '--config', file, '--token', auditor], io().cli)).toBe(1);

    const dry = io();
    expect(await retentionRun.run(['--dry-run', '--config', file], dry.cli)).toBe(0);
    expect(dry.out[0]).toMatch(/DRY RUN: would delete 1 recording\(s\) of 2 due/);
    expect(recordingState(w.db, a.recordingId!)).toBe('done');

    const run = io();
    expect(await retentionRun.run(['--config', file, '--json'], run.cli)).toBe(0);
    expect(JSON.parse(run.out[0]!)).toMatchObject({ status: 'done', recordings: { deleted: 1, held: 1 } });

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
    expect(recordingState(w.db, b.recordingId!)).toBe('deleted');
    expect((await w.evidence.verify()).ok).toBe(true);
    void DAY;
  });
});

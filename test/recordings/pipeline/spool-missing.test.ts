/**
 * The default start on a host without Asterisk's monitor dir (issue 19, log frictions): one line
 * saying what is missing and what to do, no stack; the pipeline keeps running and picks the dir
 * up once it is there.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { SpoolSource } from '../../../src/recordings/pipeline/index.js';
import { toneWav } from '../../emulators/ami/wav.js';
import { ledgerCall, waitFor, waitState, world, type World } from './helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

test('a missing spool dir is one warning naming the dir and the fix, without a stack; recordings flow once it exists', async () => {
  w = await world();
  const missing = join(w.dir, 'monitor-not-yet');
  const p = w.pipeline({ source: new SpoolSource({ dir: missing }), watcher: false, options: { settleMs: 0 } });
  await p.scanNow();
  await p.scanNow();
  const spoolLines = (): Record<string, unknown>[] => w!.sink.lines().filter((l) => String(l['msg']).includes(missing));
  await waitFor(() => spoolLines().length > 0, 'the spool warning');
  const lines = spoolLines();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 40, code: 'SPOOL_DIR_UNAVAILABLE' });
  expect(lines[0]!['msg']).toMatch(/does not exist: create it .*or set recordings\.spoolDir/);
  expect(lines[0]).not.toHaveProperty('err');
  expect(w.sink.text()).not.toMatch(/ENOENT|stack|    at /);

  mkdirSync(missing);
  const callId = await ledgerCall(w, 'yes');
  const name = `consentline-${callId}-1700000001.1.wav`;
  writeFileSync(join(missing, name), toneWav(0.5));
  p.poke();
  await waitState(w, name, 'done');
  expect(w.sink.lines().some((l) => l['msg'] === 'recording scan lists its source again')).toBe(true);
});

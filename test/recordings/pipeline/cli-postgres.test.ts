/**
 * `consentline recording list` on a PostgreSQL service database (`database.url`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BUILTIN_CONFIG } from '../../../src/config/builtin.js';
import { openPg } from '../../../src/db/pg.js';
import { PgRecordingRepo } from '../../../src/recordings/pipeline/repo-pg.js';
import { cli } from '../../cli/helpers.js';
import { testDatabase } from '../../contract/pg-helpers.js';

const dbUrl = testDatabase('cl_rec_cli');
const dir = mkdtempSync(join(tmpdir(), 'cl-rec-cli-pg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('recording list reads the recordings of a PostgreSQL database: rows, states and the queue', async () => {
  const { pool } = await openPg({ url: dbUrl() });
  const ids: string[] = [];
  try {
    const repo = new PgRecordingRepo(pool);
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      const callId = randomUUID();
      const now = new Date(Date.UTC(2026, 2, 1, 9, 0, i)).toISOString();
      await repo.insert(
        { id, callId, source: 'spool', sourceName: `consentline-${callId}-170000050${i}.1.wav`, foundBy: 'scan', uniqueid: null, linkedid: null, state: 'spooled', startedAt: now, stoppedAt: now, contextId: callId },
        now,
      );
      ids.push(id);
    }
    await repo.update(ids[0]!, { state: 'done', disposition: 'keep', plaintext_bytes: 48_044 }, null);
  } finally {
    await pool.end();
  }
  const config = { ...structuredClone(BUILTIN_CONFIG), service: { dataDir: join(dir, 'data') }, database: { url: dbUrl() } };
  const file = join(dir, 'consentline.yaml');
  writeFileSync(file, JSON.stringify(config));

  const all = await cli(['recording', 'list', '--config', file]);
  expect(all.err).toBe('');
  expect(all.code).toBe(0);
  for (const id of ids) expect(all.out).toContain(id);
  expect(all.out).toMatch(new RegExp(`${ids[0]}\\s+done\\s+keep\\s+.*48044`));
  expect(all.out).toContain('3 recording(s) shown; 2 waiting for a verified upload');

  const done = await cli(['recording', 'list', '--state', 'done', '--config', file]);
  expect(done.code).toBe(0);
  expect(done.out).toContain(ids[0]);
  expect(done.out).not.toContain(ids[1]);
  expect(done.out).toContain('1 recording(s) shown; 2 waiting for a verified upload');

  // --db names the database over the configuration's, as a URL too.
  writeFileSync(file, JSON.stringify({ ...config, database: { path: join(dir, 'absent.sqlite') } }));
  expect((await cli(['recording', 'list', '--config', file])).err).toContain('no database at');
  const byUrl = await cli(['recording', 'list', '--db', dbUrl(), '--config', file]);
  expect(byUrl.code).toBe(0);
  expect(byUrl.out).toContain('3 recording(s) shown; 2 waiting for a verified upload');
});

/**
 * `consentline recording list|decrypt` on a PostgreSQL service database (`database.url`).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BUILTIN_CONFIG } from '../../src/config/load.js';
import { openPg } from '../../src/db/pg.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { createRecordingEnvelope, createRecordingKeyring } from '../../src/recordings/crypto/index.js';
import { PgRecordingRepo } from '../../src/recordings/pipeline/repo-pg.js';
import { recordingObjectKey } from '../../src/recordings/storage/keys.js';
import { LocalObjectStore } from '../../src/recordings/storage/index.js';
import { toneWav } from '../emulators/ami/index.js';
import { cli } from './helpers.js';
import { testDatabase } from '../contract/pg-helpers.js';
import { sha256 } from '../recordings/pipeline/helpers.js';

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

test('recording decrypt on PostgreSQL: the row from its recordings table, the access written to its ledger first', async () => {
  const url = dbUrl();
  const dataDir = join(dir, 'decrypt-data');
  const envelope = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dataDir, 'secrets', 'recording.key') }));
  const objects = new LocalObjectStore({ root: join(dataDir, 'recordings', 'store') });
  const wav = toneWav(1);
  const callId = randomUUID();
  const id = randomUUID();
  const startedAt = '2026-03-01T12:00:00.000Z';
  const enc = join(dir, `${id}.wav.enc`);
  const sealed = await envelope.encryptStream(Readable.from([wav]), createWriteStream(enc), { callId, plaintextBytes: wav.length });
  const key = recordingObjectKey({ callId, recordingId: id, startedAt });
  await objects.put(key, enc, { bytes: sealed.ciphertextBytes, sha256: sealed.ciphertextSha256 });
  const { pool } = await openPg({ url });
  try {
    const repo = new PgRecordingRepo(pool);
    await repo.insert({ id, callId, source: 'spool', sourceName: `consentline-${callId}-1700000600.1.wav`, foundBy: 'scan', uniqueid: null, linkedid: null, state: 'spooled', startedAt, contextId: callId }, startedAt);
    await repo.update(
      id,
      {
        state: 'done',
        disposition: 'keep',
        store: 'local',
        object_key: key,
        plaintext_bytes: sealed.plaintextBytes,
        plaintext_sha256: sealed.plaintextSha256,
        ciphertext_bytes: sealed.ciphertextBytes,
        ciphertext_sha256: sealed.ciphertextSha256,
        key_id: sealed.keyId,
      },
      null,
    );
  } finally {
    await pool.end();
  }
  const file = join(dir, 'decrypt.yaml');
  writeFileSync(file, JSON.stringify({ ...structuredClone(BUILTIN_CONFIG), service: { dataDir }, database: { url } }));
  const out = join(dir, 'out.wav');
  const r = await cli(['recording', 'decrypt', id, '--reason', 'postgres test', '--out', out, '--config', file]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(sha256(readFileSync(out))).toBe(sha256(wav));

  const ledger = await openPgEvidenceStore({ url, max: 1 });
  try {
    const logged = [];
    for await (const e of ledger.events()) if (e.kind === 'access.logged') logged.push(e.data);
    expect(logged).toMatchObject([{ route: 'CLI recording decrypt', recordingIds: [id], callIds: [callId], reason: 'postgres test' }]);
  } finally {
    await ledger.close();
  }
});

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { openSqlite } from '../../db/sqlite.js';
import { CryptoError } from '../../recordings/crypto/errors.js';
import { openRecordingEnvelope, openRecordingStore } from '../../recordings/pipeline/build.js';
import { RecordingRepo, type RecordingRow } from '../../recordings/pipeline/repo.js';
import { ID_PATTERN } from '../../recordings/storage/keys.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';

const OPTIONS = {
  out: { type: 'string' },
  'call-id': { type: 'string' },
  config: { type: 'string' },
  db: { type: 'string' },
} as const;

/** The configuration a recording command works with: --config, else $CONSENTLINE_CONFIG / ./consentline.yaml / built-in. */
export function recordingToolConfig(values: { config?: string | undefined }, io: CliIo): Config | null {
  const loaded = loadConfig({ ...(values.config === undefined ? {} : { path: values.config }), env: io.env });
  if (!loaded.ok) {
    io.err(`configuration is not valid:`);
    for (const p of loaded.problems) io.err(`  - ${p}`);
    return null;
  }
  return loaded.config;
}

export function recordingDbPath(values: { db?: string | undefined }, config: Config): string {
  return resolve(values.db ?? config.database.path ?? join(resolve(config.service.dataDir), 'consentline.sqlite'));
}

/**
 * Gives an authorised operator the plaintext WAV of one recording, streamed: from the object store
 * by recording id, or from an `.enc` file. Needs the decrypting key on this host.
 */
export const recordingDecrypt: Command = {
  name: 'recording decrypt',
  summary: 'decrypt one recording (by recording id, or an .enc file) into a WAV file; needs the decrypting key',
  usage: 'consentline recording decrypt <recording-id|file.enc> [--out file.wav] [--call-id id] [--config file] [--db path]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    const [target, ...extra] = positionals;
    if (target === undefined || extra.length > 0) throw new UsageError('expected one recording id or .enc file');
    const config = recordingToolConfig(values, io);
    if (!config) return EXIT.failed;
    const dataDir = resolve(config.service.dataDir);

    let envelope;
    try {
      envelope = await openRecordingEnvelope(config.recordings, dataDir, { generate: false });
    } catch (err) {
      if (err instanceof CryptoError) {
        io.err(`error ${err.code}: ${err.message.replace(`${err.code}: `, '')}`);
        return EXIT.error;
      }
      throw err;
    }
    if (!envelope.canDecrypt) {
      io.err(
        `error NO_DECRYPT_KEY: this host holds no decrypting key for ${envelope.keyId} ` +
          `(recordings.keys: ${config.recordings.keys.mode} without a private key): configure it where playback happens`,
      );
      return EXIT.error;
    }

    const isFile = !ID_PATTERN.test(target) || existsSync(target);
    let row: RecordingRow | null = null;
    const rowId = isFile ? /^([0-9a-f-]{36}|[0-9A-Z]{26})\.wav\.enc$/.exec(basename(target))?.[1] : target;
    if (rowId !== undefined && (!isFile || values['call-id'] === undefined)) {
      const dbPath = recordingDbPath(values, config);
      if (existsSync(dbPath)) {
        const { db } = openSqlite({ path: dbPath, mustExist: true });
        try {
          row = new RecordingRepo(db).get(rowId);
        } finally {
          db.close();
        }
      }
      if (!row && !isFile) {
        io.err(`no recording ${target} in ${dbPath}`);
        return EXIT.failed;
      }
    }
    const contextId = values['call-id'] ?? row?.context_id;
    if (contextId === undefined) throw new UsageError(`cannot tell which call ${target} belongs to: pass --call-id`);

    let input: Readable;
    let store: ReturnType<typeof openRecordingStore> | null = null;
    if (isFile) {
      input = createReadStream(target);
    } else {
      const r = row!;
      if (r.state === 'encrypted' && existsSync(join(dataDir, 'recordings', 'work', `${r.id}.wav.enc`))) {
        input = createReadStream(join(dataDir, 'recordings', 'work', `${r.id}.wav.enc`));
      } else if (r.object_key && ['uploaded', 'verified', 'done'].includes(r.state)) {
        store = openRecordingStore(config.recordings, dataDir);
        input = await store.store.get(r.object_key);
      } else {
        io.err(`recording ${r.id} is ${r.state}: there is no encrypted copy to read`);
        return EXIT.failed;
      }
    }

    const out = resolve(values.out ?? `${row?.id ?? basename(target).replace(/\.enc$/, '').replace(/\.wav$/, '')}.wav`);
    if (existsSync(out)) throw new UsageError(`${out} exists: choose another --out`);
    const part = `${out}.part`;
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const plain = envelope.decryptStream(input, { expectedCallId: contextId });
      const tap = new Transform({
        transform(chunk: Buffer, _e, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      // Complete only on 'end': a truncated or tampered message fails before the rename.
      await pipeline(plain, tap, createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      await rename(part, out);
    } catch (err) {
      await rm(part, { force: true });
      if (err instanceof CryptoError) {
        io.err(`error ${err.code}: ${err.message.replace(`${err.code}: `, '')}`);
        return EXIT.error;
      }
      throw err;
    } finally {
      await store?.store.close();
    }
    const digest = hash.digest('hex');
    io.out(`wrote ${out}: ${bytes} bytes, sha256 ${digest}`);
    if (row?.plaintext_sha256 && (row.plaintext_sha256 !== digest || row.plaintext_bytes !== bytes)) {
      io.err(`the plaintext differs from what was captured (sha256 ${row.plaintext_sha256}, ${row.plaintext_bytes} bytes)`);
      return EXIT.failed;
    }
    return EXIT.ok;
  },
};

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { engineFor } from '../../db/engine.js';
import type { DatabaseTarget } from '../../db/pg-url.js';
import { AccessLog, type Accessor } from '../../evidence/access-log.js';
import { CryptoError } from '../../recordings/crypto/errors.js';
import { openRecordingEnvelope, openRecordingStore } from '../../recordings/pipeline/build.js';
import type { RecordingRow } from '../../recordings/pipeline/repo.js';
import { ID_PATTERN } from '../../recordings/storage/keys.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { configuredDbTarget, openStoreAt } from '../open-store.js';
import { recordingToolConfig } from '../tool-config.js';
import { describeTarget, openRecordingDb } from './recording-db.js';
import { dpoFromToken } from './retention.js';

const OPTIONS = {
  out: { type: 'string' },
  'call-id': { type: 'string' },
  config: { type: 'string' },
  db: { type: 'string' },
  reason: { type: 'string' },
  token: { type: 'string' },
} as const;

/** The operator behind a CLI read without a token: the OS account, as `cli:<user>`. */
export function cliOperator(env: Readonly<Record<string, string | undefined>>): Accessor {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? env.LOGNAME ?? (process.getuid ? `uid-${process.getuid()}` : undefined);
  }
  const name = `cli:${user || 'unknown'}`;
  return { tokenId: name, tokenName: name, role: 'operator' };
}

/**
 * Gives an authorised operator the plaintext WAV of one recording, streamed: from the object store
 * by recording id, or from an `.enc` file. Needs the decrypting key on this host, a stated reason,
 * and the service's database: the read is written to the ledger (`access.logged`, by `cli:<os
 * user>` or the `--token`'s DPO) before anything is decrypted; no ledger, no plaintext.
 */
export const recordingDecrypt: Command = {
  name: 'recording decrypt',
  summary: 'decrypt one recording (by recording id, or an .enc file) into a WAV file; needs the decrypting key and a --reason, written to the access log first',
  usage: 'consentline recording decrypt <recording-id|file.enc> --reason text [--out file.wav] [--call-id id] [--token t] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    const [target, ...extra] = positionals;
    if (target === undefined || extra.length > 0) throw new UsageError('expected one recording id or .enc file');
    const reason = values.reason;
    if (reason === undefined || reason.trim() === '') throw new UsageError('--reason is required: why the recording is decrypted (written to the access log)');
    if (reason.length > 500 || /\p{Cs}/u.test(reason)) throw new UsageError('--reason must be well-formed text of at most 500 characters');
    const config = recordingToolConfig(values, io);
    const dataDir = resolve(config.service.dataDir);

    const isFile = !ID_PATTERN.test(target) || existsSync(target);
    let row: RecordingRow | null = null;
    const rowId = isFile ? /^([0-9a-f-]{36}|[0-9A-Z]{26})\.wav\.enc$/.exec(basename(target))?.[1] : target;
    const dbTarget = configuredDbTarget(values, config);
    if (rowId !== undefined && (!isFile || values['call-id'] === undefined)) {
      const opened = openRecordingDb(dbTarget);
      if (opened) {
        try {
          row = await opened.recordings.get(rowId);
        } finally {
          await opened.close();
        }
      }
      if (!row && !isFile) {
        io.err(`no recording ${target} in ${describeTarget(dbTarget)}`);
        return EXIT.failed;
      }
    }
    const contextId = values['call-id'] ?? row?.context_id;
    if (contextId === undefined) throw new UsageError(`cannot tell which call ${target} belongs to: pass --call-id`);

    let envelope;
    try {
      envelope = await openRecordingEnvelope(config.recordings, dataDir, { generate: false });
    } catch (err) {
      // The key the configuration names cannot be read: a configuration problem.
      if (err instanceof CryptoError) {
        io.err(`error ${err.code}: ${err.message.replace(`${err.code}: `, '')}`);
        return EXIT.config;
      }
      throw err;
    }
    if (!envelope.canDecrypt) {
      io.err(
        `error NO_DECRYPT_KEY: this host holds no decrypting key for ${envelope.keyId} ` +
          `(recordings.keys: ${config.recordings.keys.mode} without a private key): configure it where playback happens`,
      );
      return EXIT.config;
    }

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
    if (existsSync(out)) {
      input.destroy();
      await store?.store.close();
      throw new UsageError(`${out} exists: choose another --out`);
    }

    // The access log first: no ledger entry, no plaintext.
    const logged = await logDecrypt(io, dbTarget, values.token, {
      callIds: row ? (row.call_id ? [row.call_id] : []) : [contextId],
      recordingIds: row ? [row.id] : rowId !== undefined ? [rowId] : [],
      ...(row?.plaintext_bytes ? { range: `bytes 0-${row.plaintext_bytes - 1}/${row.plaintext_bytes}` } : {}),
      reason,
    });
    if (logged !== EXIT.ok) {
      input.destroy();
      await store?.store.close();
      return logged;
    }
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
        return EXIT.failed;
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

/** Writes the CLI read to the ledger; anything but EXIT.ok (with the reason on stderr) when it could not be. */
async function logDecrypt(
  io: CliIo,
  target: DatabaseTarget,
  token: string | undefined,
  what: { callIds: readonly string[]; recordingIds: readonly string[]; range?: string; reason: string },
): Promise<ExitCode> {
  const where = describeTarget(target);
  if (!engineFor(target).exists()) {
    io.err(`error NO_LEDGER: no database at ${where} to write the access log to; nothing was decrypted (pass --db)`);
    return EXIT.failed;
  }
  let evidence;
  try {
    evidence = await openStoreAt(target);
  } catch (err) {
    io.err(`error NO_LEDGER: ${where}: ${(err as Error).message}; nothing was decrypted`);
    return EXIT.failed;
  }
  try {
    let who: Accessor | null = cliOperator(io.env);
    if (token !== undefined || io.env.CONSENTLINE_TOKEN) {
      const db = openRecordingDb(target)!;
      try {
        who = await dpoFromToken(db.tokens, token, io);
      } finally {
        await db.close();
      }
      if (!who) return EXIT.failed;
    }
    await new AccessLog(evidence).record({ who, route: 'CLI recording decrypt', ...what });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    io.err(`error ACCESS_LOG: the access could not be logged (${(err as Error).message}); nothing was decrypted`);
    return EXIT.failed;
  } finally {
    await evidence.close();
  }
}

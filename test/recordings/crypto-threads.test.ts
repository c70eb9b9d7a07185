/**
 * File encryption on worker threads (withEncryptionThreads), as the service runs it by default:
 * the threads build their own keyring from the key configuration and read files the main thread
 * opened, by descriptor.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FRAME_LENGTH,
  createRecordingEnvelope,
  createRecordingKeyring,
  withEncryptionThreads,
  type RecordingEnvelope,
  type RecordingKeyConfig,
} from '../../src/recordings/crypto/index.js';
import { logSink } from './ami/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-crypto-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let n = 0;

async function threaded(keyConfig: RecordingKeyConfig, threads = 1): Promise<{ env: RecordingEnvelope; main: RecordingEnvelope }> {
  const main = createRecordingEnvelope(await createRecordingKeyring(keyConfig));
  return { env: withEncryptionThreads(main, keyConfig, { threads }), main };
}

/** Writes `plain` to a file, encrypts it through `env` the way the pipeline does, returns the ciphertext. */
async function encryptThrough(env: RecordingEnvelope, plain: Buffer, callId: string, claimedBytes = plain.length): Promise<Buffer> {
  const src = join(dir, `plain-${++n}.wav`);
  const out = join(dir, `out-${n}.enc`);
  writeFileSync(src, plain);
  const handle = await open(src);
  try {
    const r = await env.encryptOpenFile(handle, out, { callId, plaintextBytes: claimedBytes });
    const ct = readFileSync(out);
    expect(r).toMatchObject({ plaintextBytes: plain.length, plaintextSha256: sha(plain), ciphertextBytes: ct.length, ciphertextSha256: sha(ct) });
    // the caller's handle is still open and usable
    expect((await handle.stat()).size).toBe(plain.length);
    return ct;
  } finally {
    await handle.close();
  }
}

async function decrypt(env: RecordingEnvelope, ct: Buffer, callId: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of env.decryptStream(Readable.from([ct]), { expectedCallId: callId })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('encryption threads', () => {
  it('round-trip files of 0 bytes to several frames, byte for byte', async () => {
    const { env } = await threaded({ mode: 'local', keyFile: join(dir, 'local.key') });
    try {
      for (const size of [0, 1, FRAME_LENGTH, 2 * FRAME_LENGTH + 4_321]) {
        const plain = randomBytes(size);
        const ct = await encryptThrough(env, plain, `call-${size}`);
        expect(ct.subarray(0, 3).toString('hex')).toBe('020478');
        const back = await decrypt(env, ct, `call-${size}`);
        expect(back.length).toBe(size);
        expect(sha(back)).toBe(sha(plain));
      }
    } finally {
      await env.close();
    }
  });

  it('an RSA public-key-only host encrypts on its threads; only the private key decrypts', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const { env } = await threaded({ mode: 'rsa', publicKeyFile: join(dir, 'pub.pem') });
    try {
      expect(env.canDecrypt).toBe(false);
      const plain = randomBytes(FRAME_LENGTH + 99);
      const ct = await encryptThrough(env, plain, 'call-rsa');
      expect(() => env.decryptStream(Readable.from([ct]), { expectedCallId: 'call-rsa' })).toThrow(/NO_DECRYPT_KEY/);
      const playback = createRecordingEnvelope(
        await createRecordingKeyring({ mode: 'rsa', publicKeyFile: join(dir, 'pub.pem'), privateKeyFile: join(dir, 'priv.pem') }),
      );
      expect(sha(await decrypt(playback, ct, 'call-rsa'))).toBe(sha(plain));
    } finally {
      await env.close();
    }
  });

  it('two threads take six files at once; each comes back whole under its own call id', async () => {
    const { env } = await threaded({ mode: 'local', keyFile: join(dir, 'local.key') }, 2);
    try {
      const plains = Array.from({ length: 6 }, (_, i) => randomBytes(300_000 + i * 250_000));
      const cts = await Promise.all(plains.map((p, i) => encryptThrough(env, p, `call-par-${i}`)));
      for (const [i, ct] of cts.entries()) expect(sha(await decrypt(env, ct, `call-par-${i}`))).toBe(sha(plains[i]!));
      await expect(decrypt(env, cts[0]!, 'call-par-1')).rejects.toMatchObject({ code: 'CONTEXT_MISMATCH' });
    } finally {
      await env.close();
    }
  });

  it('a file whose size is not what the caller saw fails clearly and leaves no output', async () => {
    const { env } = await threaded({ mode: 'local', keyFile: join(dir, 'local.key') });
    try {
      const src = join(dir, 'short.wav');
      writeFileSync(src, randomBytes(10_000));
      const handle = await open(src);
      const out = join(dir, 'short.enc');
      await expect(env.encryptOpenFile(handle, out, { callId: 'call-short', plaintextBytes: 10_010 })).rejects.toMatchObject({
        name: 'CryptoError',
        code: 'ENCRYPT_FAILED',
        message: expect.stringMatching(/read 10000 bytes, expected 10010/),
      });
      await handle.close();
      expect(existsSync(out)).toBe(false);
    } finally {
      await env.close();
    }
  });

  it('threads that cannot build the keyring fail each task clearly; the main thread goes on', async () => {
    const keyFile = join(dir, 'moved.key');
    const { env } = await threaded({ mode: 'local', keyFile });
    renameSync(keyFile, `${keyFile}.away`); // the threads read it again and must not create a new one
    try {
      const src = join(dir, 'any.wav');
      writeFileSync(src, randomBytes(1000));
      for (const attempt of [1, 2]) {
        const handle = await open(src);
        await expect(env.encryptOpenFile(handle, join(dir, `any-${attempt}.enc`), { callId: 'c', plaintextBytes: 1000 })).rejects.toMatchObject({
          name: 'CryptoError',
          code: 'KEY_INVALID',
          message: expect.stringMatching(/cannot read recording key file .*moved\.key/),
        });
        await handle.close();
      }
      expect(existsSync(keyFile)).toBe(false);
      // The main thread's encryption of the same envelope (its keyring was built before) goes on.
      const sink: Buffer[] = [];
      const r = await env.encryptStream(Readable.from([randomBytes(500)]), new Writable({ write: (c: Buffer, _e, cb) => (sink.push(c), cb()) }), { callId: 'c' });
      expect(r.ciphertextSha256).toBe(sha(Buffer.concat(sink)));
      // The key is back: the threads use it on the next task.
      renameSync(`${keyFile}.away`, keyFile);
      await encryptThrough(env, randomBytes(2000), 'call-key-back');
    } finally {
      await env.close();
    }
  });

  it('threads whose module cannot load (a broken install) fail every task within the bound, never hang', async () => {
    const keyConfig = { mode: 'local', keyFile: join(dir, 'local.key') } as const;
    const main = createRecordingEnvelope(await createRecordingKeyring(keyConfig));
    const sink = logSink();
    const env = withEncryptionThreads(main, keyConfig, {
      threads: 1,
      log: sink.logger,
      entry: new URL('./no-such-worker.js', import.meta.url).href,
      timeout: { baseMs: 1500, msPerMB: 0 },
    });
    try {
      const src = join(dir, 'broken.wav');
      writeFileSync(src, randomBytes(100));
      for (const attempt of [1, 2]) {
        const handle = await open(src);
        await expect(env.encryptOpenFile(handle, join(dir, `broken-${attempt}.enc`), { callId: 'c', plaintextBytes: 100 })).rejects.toMatchObject({
          code: 'ENCRYPT_FAILED',
          message: expect.stringMatching(/encryption thread: (.*no-such-worker|no answer within 1\.5 s)/),
        });
        await handle.close();
      }
      expect(sink.lines().some((l) => l.msg === 'encryption thread failed' && /no-such-worker/.test(String(l.err)))).toBe(true);
    } finally {
      await env.close();
    }
  });

  it('after close, encryption says so', async () => {
    const { env } = await threaded({ mode: 'local', keyFile: join(dir, 'local.key') });
    await env.close();
    await env.close(); // twice is fine
    const src = join(dir, 'late.wav');
    writeFileSync(src, randomBytes(10));
    const handle = await open(src);
    await expect(env.encryptOpenFile(handle, join(dir, 'late.enc'), { callId: 'c', plaintextBytes: 10 })).rejects.toThrow(/encryption threads are closed/);
    await handle.close();
  });
});

/**
 * Encrypting straight into an upload (stream-encryption.ts, message-size.ts): the announced length
 * is the message's exact length at every frame boundary and for every keyring, the body decrypts,
 * only the sides asked for are hashed, and a failing upload or a changed file stops both sides with
 * the first error and nothing thrown elsewhere.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FRAME_LENGTH,
  createRecordingEnvelope,
  createRecordingKeyring,
  type RecordingEnvelope,
  type StreamedBody,
} from '../../src/recordings/crypto/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-crypto-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CALL = '3f2c7a9e-1b4d-4c8e-9a7f-2d5e6b1c0a93';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function readBody(b: StreamedBody): Promise<{ bytes: number; announced: number; messageId: string; data: Buffer }> {
  const chunks: Buffer[] = [];
  for await (const c of b.body) chunks.push(c as Buffer);
  const data = Buffer.concat(chunks);
  return { bytes: data.length, announced: b.bytes, messageId: b.messageId, data };
}

async function decrypt(env: RecordingEnvelope, ct: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of env.decryptStream(Readable.from([ct]), { expectedCallId: CALL })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function withFile<T>(name: string, plain: Buffer, fn: (fd: number) => Promise<T>): Promise<T> {
  writeFileSync(join(dir, name), plain);
  const h = await open(join(dir, name));
  try {
    return await fn(h.fd);
  } finally {
    await h.close();
  }
}

const localEnv = async (): Promise<RecordingEnvelope> => createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'k.key') }));

describe('encryptOpenFileInto', () => {
  it.each([0, 1, FRAME_LENGTH - 1, FRAME_LENGTH, FRAME_LENGTH + 1, 2 * FRAME_LENGTH, 3 * FRAME_LENGTH + 12_345])(
    '%i bytes: the body has exactly the announced length, decrypts, and both hashes are right',
    async (n) => {
      const env = await localEnv();
      const plain = randomBytes(n);
      const { result, uploaded } = await withFile(`p${n}.wav`, plain, (fd) => env.encryptOpenFileInto({ fd }, { callId: CALL, plaintextBytes: n }, readBody));
      expect(uploaded.bytes).toBe(uploaded.announced);
      expect(result).not.toBeNull();
      expect(result).toMatchObject({ plaintextBytes: n, plaintextSha256: sha(plain), ciphertextBytes: uploaded.bytes, ciphertextSha256: sha(uploaded.data) });
      expect(uploaded.data.subarray(3, 35).toString('hex')).toBe(uploaded.messageId); // version, suite, then the message id
      expect(sha(await decrypt(env, uploaded.data))).toBe(sha(plain));
    },
  );

  it('an RSA public key (a longer encrypted data key) is announced exactly too', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const env = createRecordingEnvelope(await createRecordingKeyring({ mode: 'rsa', publicKeyFile: join(dir, 'pub.pem') }));
    const plain = randomBytes(FRAME_LENGTH + 99);
    const { uploaded } = await withFile('rsa.wav', plain, (fd) => env.encryptOpenFileInto({ fd }, { callId: CALL, plaintextBytes: plain.length }, readBody));
    expect(uploaded.bytes).toBe(uploaded.announced);
  });

  it('hashes only the sides asked for', async () => {
    const env = await localEnv();
    const plain = randomBytes(FRAME_LENGTH + 5);
    const { result } = await withFile('one.wav', plain, (fd) =>
      env.encryptOpenFileInto({ fd }, { callId: CALL, plaintextBytes: plain.length, hashes: { plaintext: true, ciphertext: false } }, readBody),
    );
    expect(result?.plaintextSha256).toBe(sha(plain));
    expect(result?.ciphertextSha256).toBeNull();
  });

  it('an upload that fails mid-body fails with its own error, one that declines the body stops the encryption with no result; the envelope still works', async () => {
    const env = await localEnv();
    const plain = randomBytes(4 * FRAME_LENGTH);
    const refused = Object.assign(new Error('precondition failed (test)'), { name: 'PreconditionFailed' });
    const failing = async (b: StreamedBody): Promise<never> => {
      for await (const piece of b.body) if ((piece as Buffer).length > 0) throw refused; // after the first piece
      throw new Error('no body');
    };
    await expect(withFile('fail.wav', plain, (fd) => env.encryptOpenFileInto({ fd }, { callId: CALL, plaintextBytes: plain.length }, failing))).rejects.toBe(refused);
    const declining = async (b: StreamedBody): Promise<string> => {
      void b;
      return 'already stored';
    };
    const declined = await withFile('early.wav', plain, (fd) => env.encryptOpenFileInto({ fd }, { callId: CALL, plaintextBytes: plain.length }, declining));
    expect(declined).toEqual({ result: null, uploaded: 'already stored' });
    const { uploaded } = await withFile('after.wav', plain, (fd) => env.encryptOpenFileInto({ fd }, { callId: CALL, plaintextBytes: plain.length }, readBody));
    expect(sha(await decrypt(env, uploaded.data))).toBe(sha(plain));
  });

  it('a file longer or shorter than announced is never sent whole under the announced length', async () => {
    const env = await localEnv();
    const plain = randomBytes(2 * FRAME_LENGTH + 7);
    const seen: number[] = [];
    const upload = async (b: StreamedBody): Promise<number> => {
      const r = await readBody(b);
      seen.push(r.bytes);
      return r.bytes;
    };
    for (const announced of [plain.length - 1, plain.length + 1]) {
      await expect(withFile(`len${announced}.wav`, plain, (fd) => env.encryptOpenFileInto({ fd }, { callId: CALL, plaintextBytes: announced }, upload))).rejects.toMatchObject({
        code: 'ENCRYPT_FAILED',
      });
    }
    expect(seen).toEqual([]); // each upload saw its body fail, never a complete one
  });
});

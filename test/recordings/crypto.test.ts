import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { KeyringNode } from '@aws-crypto/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CryptoError,
  FRAME_LENGTH,
  createRecordingEnvelope,
  createRecordingKeyring,
  kmsKeyRegion,
  type RecordingEnvelope,
} from '../../src/recordings/crypto/index.js';
import { createLogger } from '../../src/shared/log.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-crypto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CALL = '3f2c7a9e-1b4d-4c8e-9a7f-2d5e6b1c0a93';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function collector(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    sink: new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

async function encrypt(env: RecordingEnvelope, plain: Buffer, callId = CALL): Promise<Buffer> {
  const out = collector();
  // several input chunks, like a file read, so frames straddle chunk boundaries
  const parts = [];
  for (let i = 0; i < plain.length; i += 100_003) parts.push(plain.subarray(i, i + 100_003));
  const r = await env.encryptStream(Readable.from(parts), out.sink, { callId });
  const ct = out.bytes();
  expect(r.plaintextBytes).toBe(plain.length);
  expect(r.plaintextSha256).toBe(sha(plain));
  expect(r.ciphertextBytes).toBe(ct.length);
  expect(r.ciphertextSha256).toBe(sha(ct));
  return ct;
}

async function decrypt(env: RecordingEnvelope, ct: Buffer, expectedCallId = CALL): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of env.decryptStream(Readable.from([ct]), { expectedCallId })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function localEnv(name: string): Promise<RecordingEnvelope> {
  return createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dir, name) }));
}

describe('envelope encryption, local AES key', () => {
  it.each([0, 1, 17, FRAME_LENGTH - 1, FRAME_LENGTH, FRAME_LENGTH + 1, 3 * FRAME_LENGTH + 12_345])(
    'round-trips %i bytes with identical length and SHA-256',
    async (n) => {
      const env = await localEnv('k1.key');
      const plain = randomBytes(n);
      const ct = await encrypt(env, plain);
      expect(ct.subarray(0, 3).toString('hex')).toBe('020478'); // format v2, suite 0x0478
      const back = await decrypt(env, ct);
      expect(back.length).toBe(n);
      expect(sha(back)).toBe(sha(plain));
    },
  );

  it('encryptFile writes the ciphertext beside and reports hashes', async () => {
    const env = await localEnv('k1.key');
    const plain = randomBytes(200_000);
    writeFileSync(join(dir, 'a.wav'), plain);
    const r = await env.encryptFile(join(dir, 'a.wav'), join(dir, 'a.wav.enc'), { callId: CALL });
    const ct = readFileSync(join(dir, 'a.wav.enc'));
    expect(r).toMatchObject({ plaintextBytes: 200_000, plaintextSha256: sha(plain), ciphertextBytes: ct.length, ciphertextSha256: sha(ct) });
    expect(statSync(join(dir, 'a.wav.enc')).mode & 0o777).toBe(0o600);
    expect(sha(await decrypt(env, ct))).toBe(sha(plain));
  });

  it('the file path reuses its read buffers without mixing frames: 5 distinct frames and a tail come back byte for byte', async () => {
    const env = await localEnv('k1.key');
    // Each frame different, so a buffer overwritten before the SDK encrypted it would show.
    const plain = Buffer.concat([...Array.from({ length: 5 }, (_, i) => Buffer.alloc(FRAME_LENGTH, i + 1)), randomBytes(777)]);
    writeFileSync(join(dir, 'frames.wav'), plain);
    const handle = await open(join(dir, 'frames.wav'));
    try {
      await handle.read(Buffer.alloc(10), 0, 10, null); // the handle's own offset must not matter
      const r = await env.encryptOpenFile(handle, join(dir, 'frames.enc'), { callId: CALL, plaintextBytes: plain.length });
      const ct = readFileSync(join(dir, 'frames.enc'));
      expect(r).toMatchObject({ plaintextBytes: plain.length, plaintextSha256: sha(plain), ciphertextBytes: ct.length, ciphertextSha256: sha(ct) });
      expect(sha(await decrypt(env, ct))).toBe(sha(plain));
    } finally {
      await handle.close();
    }
  });

  it('file encryption fails loudly and leaves no output on a read error, a write error or a missing directory', async () => {
    const env = await localEnv('k1.key');
    writeFileSync(join(dir, 'src.wav'), randomBytes(3 * FRAME_LENGTH));
    const closed = await open(join(dir, 'src.wav'));
    await closed.close();
    await expect(env.encryptOpenFile({ fd: closed.fd }, join(dir, 'bad-fd.enc'), { callId: CALL, plaintextBytes: 10 })).rejects.toMatchObject({ code: 'ENCRYPT_FAILED' });
    expect(existsSync(join(dir, 'bad-fd.enc'))).toBe(false);
    // A device that is always full: the first write fails with ENOSPC (the link is removed, not the
    // device). This used to leave an uncaught "Premature close" from inside the SDK.
    symlinkSync('/dev/full', join(dir, 'full.enc'));
    await expect(env.encryptFile(join(dir, 'src.wav'), join(dir, 'full.enc'), { callId: CALL })).rejects.toMatchObject({
      code: 'ENCRYPT_FAILED',
      message: expect.stringMatching(/ENOSPC/),
    });
    expect(existsSync('/dev/full')).toBe(true);
    await expect(env.encryptFile(join(dir, 'src.wav'), join(dir, 'no-such-dir', 'x.enc'), { callId: CALL })).rejects.toMatchObject({ code: 'ENCRYPT_FAILED' });
  });

  it('a failing input or output stream fails the encryption with its own error; nothing is thrown elsewhere', async () => {
    // The SDK's inner pipeline rethrows its errors (file-encryption.ts says why); vitest fails a
    // test that leaves an uncaught exception behind.
    const env = await localEnv('k1.key');
    const plain = randomBytes(3 * FRAME_LENGTH);
    let writes = 0;
    const brokenSink = new Writable({
      write(_c, _e, cb) {
        cb(++writes === 3 ? new Error('disk gone') : null);
      },
    });
    await expect(env.encryptStream(Readable.from([plain]), brokenSink, { callId: CALL })).rejects.toMatchObject({ code: 'ENCRYPT_FAILED', message: expect.stringMatching(/disk gone/) });
    async function* brokenSource(): AsyncGenerator<Buffer> {
      yield plain.subarray(0, FRAME_LENGTH + 5);
      throw new Error('spool unreadable');
    }
    await expect(env.encryptStream(Readable.from(brokenSource()), collector().sink, { callId: CALL })).rejects.toMatchObject({ code: 'ENCRYPT_FAILED', message: expect.stringMatching(/spool unreadable/) });
    // and the envelope still works afterwards
    expect(sha(await decrypt(env, await encrypt(env, plain)))).toBe(sha(plain));
  });

  it('a keyring that fails (a KMS out of reach) fails file and stream encryption at once, with no output left', async () => {
    class UnreachableKms extends KeyringNode {
      override async _onEncrypt(): Promise<never> {
        throw new Error('KMS out of reach');
      }
      override async _onDecrypt(): Promise<never> {
        throw new Error('KMS out of reach');
      }
    }
    const keyring = new UnreachableKms();
    const env = createRecordingEnvelope({ mode: 'kms', keyId: 'arn:test', encryptKeyring: keyring, decryptKeyring: keyring });
    writeFileSync(join(dir, 'kms.wav'), randomBytes(2 * FRAME_LENGTH + 3));
    await expect(env.encryptFile(join(dir, 'kms.wav'), join(dir, 'kms.enc'), { callId: CALL })).rejects.toMatchObject({ code: 'ENCRYPT_FAILED', message: expect.stringMatching(/KMS out of reach/) });
    expect(existsSync(join(dir, 'kms.enc'))).toBe(false);
    await expect(env.encryptStream(Readable.from([randomBytes(FRAME_LENGTH + 1)]), collector().sink, { callId: CALL })).rejects.toMatchObject({ code: 'ENCRYPT_FAILED' });
  });

  it('input larger than a frame in one chunk is fine; a length that differs from the one announced fails loudly', async () => {
    const env = await localEnv('k1.key');
    const plain = randomBytes(2 * FRAME_LENGTH + 7);
    // One chunk bigger than a frame (the SDK crashes on this when told plaintextLength).
    const r = await env.encryptStream(Readable.from([plain]), collector().sink, { callId: CALL, plaintextBytes: plain.length });
    expect(r.plaintextSha256).toBe(sha(plain));
    await expect(env.encryptStream(Readable.from([plain]), collector().sink, { callId: CALL, plaintextBytes: plain.length + 1 })).rejects.toMatchObject({
      code: 'ENCRYPT_FAILED',
      message: expect.stringMatching(/read \d+ bytes, expected \d+ \(the file changed while it was encrypted\)/),
    });
  });

  it('generates a missing key file with 0600 and logs it', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const kr = await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'sub', 'gen.key') }, { log });
    expect(statSync(join(dir, 'sub', 'gen.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub', 'gen.key')).size).toBe(32);
    expect(kr.keyId).toMatch(/^local:recording-master-key:[0-9a-f]{16}$/);
    const entry = JSON.parse(lines[0]!);
    expect(entry.msg).toMatch(/generated a new recording master key/);
    // the same key again: same id, no new log line
    const again = await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'sub', 'gen.key') }, { log });
    expect(again.keyId).toBe(kr.keyId);
    expect(lines).toHaveLength(1);
  });

  it('names each local key by its own fingerprint, the one the generation log prints (issue 19.5)', async () => {
    const keyA = randomBytes(32);
    const keyB = randomBytes(32);
    writeFileSync(join(dir, 'fp-a.key'), keyA, { mode: 0o600 });
    writeFileSync(join(dir, 'fp-b.key'), keyB.toString('hex'), { mode: 0o600 });
    const a = await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'fp-a.key') });
    const b = await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'fp-b.key') });
    expect(a.keyId).toBe(`local:recording-master-key:${sha(keyA).slice(0, 16)}`);
    expect(b.keyId).toBe(`local:recording-master-key:${sha(keyB).slice(0, 16)}`);
    expect(a.keyId).not.toBe(b.keyId);
    // The id of 32 zero bytes, which every recording named before the fix.
    expect([a.keyId, b.keyId]).not.toContain('local:recording-master-key:66687aadf862bd77');
    // The envelope (what recording.stored records) names the same id.
    expect(createRecordingEnvelope(a).keyId).toBe(a.keyId);
    // A generated key: the id in its start-up log line is the keyring's.
    const lines: string[] = [];
    const log = createLogger({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const gen = await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'fp-gen', 'gen.key') }, { log });
    expect(JSON.parse(lines[0]!).keyId).toBe(gen.keyId);
    expect(gen.keyId).toBe(`local:recording-master-key:${sha(readFileSync(join(dir, 'fp-gen', 'gen.key'))).slice(0, 16)}`);
  });

  it('refuses a malformed key file', async () => {
    writeFileSync(join(dir, 'bad.key'), 'not a key');
    await expect(createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'bad.key') })).rejects.toMatchObject({ code: 'KEY_INVALID' });
    await expect(
      createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'none.key'), generateIfMissing: false }),
    ).rejects.toMatchObject({ code: 'KEY_INVALID' });
  });

  it('fails loudly with the wrong master key', async () => {
    const ct = await encrypt(await localEnv('k1.key'), randomBytes(70_000));
    const other = await localEnv('k2.key');
    await expect(decrypt(other, ct)).rejects.toMatchObject({ name: 'CryptoError', code: 'DECRYPT_FAILED' });
  });

  it('fails when the encryption context is not the expected call', async () => {
    const env = await localEnv('k1.key');
    const ct = await encrypt(env, randomBytes(70_000));
    const err = await decrypt(env, ct, 'aaaaaaaa-1b4d-4c8e-9a7f-2d5e6b1c0a93').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect(err).toMatchObject({ code: 'CONTEXT_MISMATCH' });
  });

  it('a tampered byte fails, and only frames authenticated before it are released', async () => {
    const env = await localEnv('k1.key');
    const plain = randomBytes(5 * FRAME_LENGTH + FRAME_LENGTH / 2);
    const ct = await encrypt(env, plain);
    // v2 body: regular frame = seq(4) + iv(12) + content(FRAME_LENGTH) + tag(16);
    // final frame = marker(4) + seq(4) + iv(12) + length(4) + content + tag(16).
    const regular = 4 + 12 + FRAME_LENGTH + 16;
    const finalFrame = 4 + 4 + 12 + 4 + FRAME_LENGTH / 2 + 16;
    const header = ct.length - 5 * regular - finalFrame;
    const bad = Buffer.from(ct);
    bad[header + 2 * regular + 16 + 1000]! ^= 0x01; // inside frame #3's content
    const released: Buffer[] = [];
    const err = await (async () => {
      for await (const c of env.decryptStream(Readable.from([bad]), { expectedCallId: CALL })) released.push(c as Buffer);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DECRYPT_FAILED' });
    const got = Buffer.concat(released);
    expect(got.length).toBe(2 * FRAME_LENGTH);
    expect(got.equals(plain.subarray(0, 2 * FRAME_LENGTH))).toBe(true);
  });

  it('a truncated message fails at its end', async () => {
    const env = await localEnv('k1.key');
    const ct = await encrypt(env, randomBytes(3 * FRAME_LENGTH));
    await expect(decrypt(env, ct.subarray(0, ct.length - 100))).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });
});

describe('committed fixture made without the service (format pin)', () => {
  it('the service decrypts test/fixtures/crypto/recording-v1.wav.enc', async () => {
    const fx = new URL('../fixtures/crypto/', import.meta.url);
    const meta = JSON.parse(readFileSync(new URL('recording-v1.json', fx), 'utf8'));
    const ct = readFileSync(new URL('recording-v1.wav.enc', fx));
    expect(sha(ct)).toBe(meta.ciphertextSha256);
    const env = createRecordingEnvelope(
      await createRecordingKeyring({ mode: 'local', keyFile: new URL(meta.keyFile, fx).pathname, generateIfMissing: false }),
    );
    const plain = await decrypt(env, ct, meta.callId);
    expect(plain.length).toBe(meta.plaintextBytes);
    expect(sha(plain)).toBe(meta.plaintextSha256);
  });
});

describe('RSA mode: public key on the capture host, private key where playback happens', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

  it('public-only encrypts but cannot decrypt (NO_DECRYPT_KEY); with the private key it can', async () => {
    const capture = createRecordingEnvelope(await createRecordingKeyring({ mode: 'rsa', publicKeyFile: join(dir, 'pub.pem') }));
    expect(capture.canDecrypt).toBe(false);
    const plain = randomBytes(100_000);
    const ct = await encrypt(capture, plain);
    expect(() => capture.decryptStream(Readable.from([ct]), { expectedCallId: CALL })).toThrow(
      expect.objectContaining({ code: 'NO_DECRYPT_KEY' }),
    );
    const playback = createRecordingEnvelope(
      await createRecordingKeyring({ mode: 'rsa', publicKeyFile: join(dir, 'pub.pem'), privateKeyFile: join(dir, 'priv.pem') }),
    );
    expect(playback.keyId).toBe(capture.keyId);
    expect(sha(await decrypt(playback, ct))).toBe(sha(plain));
  });

  it('refuses a private key of another pair and short keys', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 3072 });
    writeFileSync(join(dir, 'other.pem'), other.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(
      createRecordingKeyring({ mode: 'rsa', publicKeyFile: join(dir, 'pub.pem'), privateKeyFile: join(dir, 'other.pem') }),
    ).rejects.toMatchObject({ code: 'KEY_INVALID' });
    const small = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'small.pem'), small.publicKey.export({ type: 'spki', format: 'pem' }));
    await expect(createRecordingKeyring({ mode: 'rsa', publicKeyFile: join(dir, 'small.pem') })).rejects.toMatchObject({
      code: 'KEY_INVALID',
    });
  });
});

describe('KMS mode (construction only: no KMS here)', () => {
  const arn = (region: string): string => `arn:aws:kms:${region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

  it('accepts an EU key ARN', async () => {
    const kr = await createRecordingKeyring({ mode: 'kms', keyArn: arn('eu-central-1') });
    expect(kr.keyId).toBe(arn('eu-central-1'));
    expect(kmsKeyRegion(arn('eu-north-1'))).toBe('eu-north-1');
  });

  it.each(['us-east-1', 'eu-west-2', 'eu-central-2'])('refuses a key in %s', async (region) => {
    await expect(createRecordingKeyring({ mode: 'kms', keyArn: arn(region) })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(region),
    });
  });

  it('allows a non-default region only when listed, and refuses a bare key id', async () => {
    await expect(createRecordingKeyring({ mode: 'kms', keyArn: arn('eu-central-2'), allowedRegions: ['eu-central-2'] })).resolves.toBeTruthy();
    await expect(createRecordingKeyring({ mode: 'kms', keyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('encryptions take turns', () => {
  /** A source that says when it was first read, and ends when told. */
  function heldSource(): { stream: Readable; read: () => boolean; finish: () => void } {
    let wasRead = false;
    const stream = new Readable({
      read() {
        wasRead = true;
      },
    });
    return {
      stream,
      read: () => wasRead,
      finish: () => {
        stream.push(randomBytes(100_000));
        stream.push(null);
      },
    };
  }

  async function secondStartsWhileFirstRuns(concurrentEncryptions: number): Promise<boolean> {
    const keyring = await createRecordingKeyring({ mode: 'local', keyFile: join(dir, `turns-${concurrentEncryptions}.key`) });
    const env = createRecordingEnvelope(keyring, { concurrentEncryptions });
    const first = heldSource();
    const second = heldSource();
    const a = env.encryptStream(first.stream, collector().sink, { callId: CALL });
    const b = env.encryptStream(second.stream, collector().sink, { callId: CALL });
    await new Promise((r) => setTimeout(r, 50));
    const overlapped = second.read();
    first.finish();
    second.finish();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.plaintextBytes).toBe(100_000);
    expect(rb.plaintextBytes).toBe(100_000);
    return overlapped;
  }

  it('by default one at a time: the second waits until the first has finished', async () => {
    expect(await secondStartsWhileFirstRuns(1)).toBe(false);
  });

  it('concurrentEncryptions: 2 lets both run', async () => {
    expect(await secondStartsWhileFirstRuns(2)).toBe(true);
  });
});

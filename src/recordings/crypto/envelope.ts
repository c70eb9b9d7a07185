import { open, rm, type FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline as pipelineCb } from 'node:stream';
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  buildClient,
  type MessageHeader,
} from '@aws-crypto/client-node';
import { CryptoError } from './errors.js';
import type { RecordingKeyring } from './keyring.js';
import { BOTH_HASHES, fileSink, fileSource, ReadBuffers, seal, streamSink, streamSource, type Hashes, type Sealed } from './file-encryption.js';
import { sealInto, type StreamedBody } from './stream-encryption.js';

/** AWS Encryption SDK message format v2, key-committing, no ECDSA signature (suite 0x0478). */
export const SUITE_ID = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
/**
 * 1 MiB frames, read in 1 MiB blocks. Measured CPU of the SDK's streaming encryption alone (2-core
 * EPYC, no SHA extensions, 4.8 MB recording): 8.8 ms/MB with 64 KiB frames and 64 KiB reads,
 * 4.0 with 64 KiB frames and 1 MiB reads, 1.1 with 1 MiB frames and 1 MiB reads: the SDK's cost
 * is per frame and per chunk (GCM setup, stream callbacks), not per byte. At most about one frame
 * is buffered per direction, so memory stays flat (a few MiB per recording in flight).
 */
export const FRAME_LENGTH = 1024 * 1024;
/** Our messages carry exactly one encrypted data key; allow a little room for multi-keyrings. */
export const MAX_ENCRYPTED_DATA_KEYS = 3;
export const CONTEXT_PURPOSE = 'consentline-recording';

const client = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: MAX_ENCRYPTED_DATA_KEYS,
});

/** The whole encryption context of a recording: no personal data, only our own ids. */
export function recordingContext(callId: string): Record<string, string> {
  return { purpose: CONTEXT_PURPOSE, call_id: callId };
}

export interface EncryptResult {
  /** Hex SHA-256 of the plaintext (the recording as captured). */
  readonly plaintextSha256: string;
  readonly plaintextBytes: number;
  /** Hex SHA-256 of the encrypted message, as it will be stored. */
  readonly ciphertextSha256: string;
  readonly ciphertextBytes: number;
  readonly keyId: string;
}

/** {@link EncryptResult} of a message encrypted into an upload: a side not asked to be hashed has null. */
export interface StreamedResult extends Omit<EncryptResult, 'plaintextSha256' | 'ciphertextSha256'> {
  readonly plaintextSha256: string | null;
  readonly ciphertextSha256: string | null;
}

/** An open file (a FileHandle, or just its descriptor on an encryption thread); never closed here. */
export type OpenFile = Pick<FileHandle, 'fd'>;

export interface RecordingEnvelope {
  readonly keyId: string;
  /** Whether this host can decrypt (false on an RSA public-key-only capture host). */
  readonly canDecrypt: boolean;
  /** Encrypts `input` into `output`, hashing both sides on the way; resolves once `output` finished. */
  encryptStream(input: Readable, output: Writable, opts: { callId: string; plaintextBytes?: number }): Promise<EncryptResult>;
  /** Encrypts a file into another; `outputPath` is created or truncated. */
  encryptFile(inputPath: string, outputPath: string, opts: { callId: string }): Promise<EncryptResult>;
  /**
   * Encrypts an open file, read from its start, into `outputPath` (created or truncated, removed on
   * failure). The handle stays open: the caller closes it. `plaintextBytes` is the size the caller
   * saw; a file that grows or shrinks meanwhile fails.
   */
  encryptOpenFile(input: OpenFile, outputPath: string, opts: { callId: string; plaintextBytes: number }): Promise<EncryptResult>;
  /**
   * Encrypts an open file, read from its start, straight into `upload` (stream-encryption.ts): no
   * ciphertext file, one read of the plaintext, only the sides in `hashes` hashed (default both).
   * Runs on the calling thread and outside the turns of `concurrentEncryptions`: a stream is paced by
   * its upload, and holding a turn for a whole upload would serialise the uploads. `result` is null
   * when the upload answered before it had read the whole message (the store declined it).
   */
  encryptOpenFileInto<T>(
    input: OpenFile,
    opts: { callId: string; plaintextBytes: number; hashes?: Hashes },
    upload: (b: StreamedBody) => Promise<T>,
  ): Promise<{ result: StreamedResult | null; uploaded: T }>;
  /** Stops encryption threads, if any. */
  close(): Promise<void>;
  /**
   * Decrypts a recording. Throws `NO_DECRYPT_KEY` at once when this host holds no decrypting key;
   * other failures (wrong key, tampering, truncation, context mismatch) arrive as a CryptoError
   * on the returned stream.
   */
  decryptStream(input: Readable, opts: { expectedCallId: string }): Readable;
}

export interface EnvelopeOptions {
  /**
   * Encryptions running at once (default 1); the others wait their turn. Hashing and AES-GCM run
   * on the JavaScript thread, so two at once only interleave: each ends later, and so does the
   * upload waiting for it. One at a time, a pipeline worker encrypts the next recording while
   * another worker uploads the previous one (encrypt-ahead); bench:recordings measures both.
   */
  readonly concurrentEncryptions?: number;
}

/** A counting semaphore: `run` waits for one of `size` slots. */
function slots(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let free = Math.max(1, size);
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/**
 * Builds the encrypt/decrypt functions for one keyring.
 *
 * @example
 *   const env = createRecordingEnvelope(await createRecordingKeyring(cfg));
 *   const r = await env.encryptFile('/spool/x.wav', '/spool/x.wav.enc', { callId });
 */
export function createRecordingEnvelope(keyring: RecordingKeyring, options: EnvelopeOptions = {}): RecordingEnvelope {
  const encryptTurn = slots(options.concurrentEncryptions ?? 1);
  const readBuffers = new ReadBuffers(FRAME_LENGTH);

  function encryptStream(input: Readable, output: Writable, opts: { callId: string; plaintextBytes?: number }): Promise<EncryptResult> {
    return encryptTurn(() => encryptNow(input, output, opts));
  }

  function encryptingStream(callId: string) {
    const encrypting = client.encryptStream(keyring.encryptKeyring, {
      suiteId: SUITE_ID,
      encryptionContext: recordingContext(callId),
      frameLength: FRAME_LENGTH,
      // No plaintextLength: @aws-crypto/client-node 5.0.2 then throws "Encrypted data exceeded
      // plaintextLength" from inside its own stream pipeline (an uncaught exception) whenever
      // an input chunk is larger than a frame. We count the bytes ourselves.
    });
    // seal() takes failures from its own listeners while it runs; an error the wrapper emits
    // after those are gone must not become an uncaught exception.
    encrypting.on('error', () => {});
    return encrypting;
  }

  async function encryptNow(input: Readable, output: Writable, opts: { callId: string; plaintextBytes?: number }): Promise<EncryptResult> {
    try {
      return checked(await seal(encryptingStream(opts.callId), streamSource(input), streamSink(output)), opts);
    } catch (e) {
      throw asEncryptError(e, opts.callId);
    }
  }

  function sized(r: Sealed, opts: { callId: string; plaintextBytes?: number }): StreamedResult {
    if (opts.plaintextBytes !== undefined && r.plaintextBytes !== opts.plaintextBytes) {
      throw new CryptoError('ENCRYPT_FAILED', `recording of call ${opts.callId}: read ${r.plaintextBytes} bytes, expected ${opts.plaintextBytes} (the file changed while it was encrypted)`);
    }
    return { ...r, keyId: keyring.keyId };
  }

  function checked(r: Sealed, opts: { callId: string; plaintextBytes?: number }): EncryptResult {
    const { plaintextSha256, ciphertextSha256, ...rest } = sized(r, opts);
    if (plaintextSha256 === null || ciphertextSha256 === null) throw new CryptoError('ENCRYPT_FAILED', 'a side was not hashed');
    return { ...rest, plaintextSha256, ciphertextSha256 };
  }

  async function encryptOpenFileInto<T>(
    input: OpenFile,
    opts: { callId: string; plaintextBytes: number; hashes?: Hashes },
    upload: (b: StreamedBody) => Promise<T>,
  ): Promise<{ result: StreamedResult | null; uploaded: T }> {
    const pair = readBuffers.take();
    const hashes = opts.hashes ?? BOTH_HASHES;
    const wrap = (e: unknown): CryptoError => asEncryptError(e, opts.callId);
    const out = await sealInto(encryptingStream(opts.callId), fileSource(input.fd, pair), opts.plaintextBytes, hashes, upload, wrap);
    if (!out.sealed) return { result: null, uploaded: out.uploaded }; // stopped mid-message: the pair is not reused
    readBuffers.give(pair); // not after a failure: the SDK may have stopped mid-frame, holding one
    return { result: sized(out.sealed, opts), uploaded: out.uploaded };
  }

  async function encryptFile(inputPath: string, outputPath: string, opts: { callId: string }): Promise<EncryptResult> {
    const input = await open(inputPath, 'r');
    try {
      return await encryptOpenFile(input, outputPath, { callId: opts.callId, plaintextBytes: (await input.stat()).size });
    } finally {
      await input.close();
    }
  }

  function encryptOpenFile(input: OpenFile, outputPath: string, opts: { callId: string; plaintextBytes: number }): Promise<EncryptResult> {
    // The descriptor, not the FileHandle: an encryption thread reads a file the main thread opened
    // (descriptors are per process). Positional reads from 0 leave the handle's offset alone.
    return encryptTurn(async () => {
      try {
        const output = await open(outputPath, 'w', 0o600);
        try {
          const pair = readBuffers.take();
          const sealed = await seal(encryptingStream(opts.callId), fileSource(input.fd, pair), fileSink(output));
          readBuffers.give(pair); // not after a failure: the SDK may have stopped mid-frame, holding one
          return checked(sealed, opts);
        } finally {
          await output.close();
        }
      } catch (e) {
        await rm(outputPath, { force: true });
        throw asEncryptError(e, opts.callId);
      }
    });
  }

  function decryptStream(input: Readable, opts: { expectedCallId: string }): Readable {
    const keyringForDecrypt = keyring.decryptKeyring;
    if (!keyringForDecrypt) {
      input.destroy();
      throw new CryptoError(
        'NO_DECRYPT_KEY',
        `this host holds no decrypting key for ${keyring.keyId} (${keyring.mode} mode, public key only?): ` +
          'configure the private key where playback happens',
      );
    }
    const expected = recordingContext(opts.expectedCallId);
    // Unsigned suite, so streaming decryption is safe: every frame carries its own GCM tag over
    // the message id, sequence number and final-frame flag, and the SDK's DecipherStream buffers a
    // frame until decipher.final() has checked that tag; only authenticated frames are released,
    // in order, none twice. With a *signed* suite the signature covers the whole message and is
    // checked only at the end, so a streaming reader could act on forged plaintext first:
    // decryptUnsignedMessageStream refuses such messages outright. A truncated message fails at
    // its end (no final frame): consumers must treat output as complete only on 'end'.
    const decrypting = client.decryptUnsignedMessageStream(keyringForDecrypt);
    let verdict: 'pending' | 'ok' | CryptoError = 'pending';
    decrypting.once('MessageHeader', (header: MessageHeader) => {
      verdict = checkContext(header.encryptionContext, expected);
      if (verdict !== 'ok') decrypting.destroy(verdict);
    });
    pipelineCb(input, decrypting, () => {
      /* errors surface through the iteration below */
    });
    async function* release(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of decrypting as AsyncIterable<Buffer>) {
          // The header event precedes any plaintext; this keeps it so should the SDK change.
          if (verdict !== 'ok') throw verdict === 'pending' ? new CryptoError('CONTEXT_MISMATCH', 'plaintext before a checked header') : verdict;
          yield chunk;
        }
      } catch (e) {
        if (e instanceof CryptoError) throw e;
        throw new CryptoError('DECRYPT_FAILED', `recording of call ${opts.expectedCallId}: ${(e as Error).message}`, { cause: e });
      }
      if (verdict !== 'ok') throw new CryptoError('DECRYPT_FAILED', 'message ended without a header');
    }
    return Readable.from(release(), { objectMode: false });
  }

  return Object.freeze({
    keyId: keyring.keyId,
    canDecrypt: keyring.decryptKeyring !== null,
    encryptStream,
    encryptFile,
    encryptOpenFile,
    encryptOpenFileInto,
    decryptStream,
    close: async () => {},
  });
}

function asEncryptError(e: unknown, callId: string): CryptoError {
  if (e instanceof CryptoError) return e;
  return new CryptoError('ENCRYPT_FAILED', `encrypting recording of call ${callId}: ${(e as Error).message}`, { cause: e });
}

function checkContext(actual: Readonly<Record<string, string>>, expected: Record<string, string>): 'ok' | CryptoError {
  const a = Object.keys(actual).sort();
  const e = Object.keys(expected).sort();
  const same = a.length === e.length && e.every((k, i) => a[i] === k && actual[k] === expected[k]);
  if (same) return 'ok';
  // Context values are our own ids, never personal data, so they may appear in the message.
  return new CryptoError(
    'CONTEXT_MISMATCH',
    `encryption context ${JSON.stringify(actual)} is not the expected ${JSON.stringify(expected)}`,
  );
}

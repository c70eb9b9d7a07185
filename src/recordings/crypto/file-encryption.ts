// Driving the SDK's encrypt stream: plaintext in from a source, ciphertext out to a sink, both sides
// hashed and counted. Two rules shape it:
// - On failure it never destroys the SDK's stream. The SDK joins its inner streams with
//   readable-stream's pipeline() and no callback, which rethrows any error, so destroying it
//   mid-message ("Premature close") raised an uncaught exception: a full disk while encrypting
//   took the process down. Instead the input is ended early and the rest of the output is read and
//   dropped, so the SDK finishes normally, and the first failure is reported.
// - A file is read by position into two frame-sized buffers taken in turn, written with writev:
//   no stream stages of our own and no fresh buffer per read (fresh 1 MiB buffers cost page faults,
//   and their sum drives V8's full collections on an encryption thread).
import { createHash, type Hash } from 'node:crypto';
import { read } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Duplex, Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';

const readAt = promisify(read);

/** Small pieces (frame headers and tags, 16 bytes each) are gathered into writes of about this size. */
const OUTPUT_BLOCK = 256 * 1024;

export interface Sealed {
  /** Null when that side was not hashed (see {@link Hashes}). */
  readonly plaintextSha256: string | null;
  readonly plaintextBytes: number;
  readonly ciphertextSha256: string | null;
  readonly ciphertextBytes: number;
}

/** Which sides to hash with SHA-256 (both are always counted). */
export interface Hashes {
  readonly plaintext: boolean;
  readonly ciphertext: boolean;
}
export const BOTH_HASHES: Hashes = Object.freeze({ plaintext: true, ciphertext: true });

/** Where plaintext comes from: the next chunk, or null at the end; `stop` when ended early. */
export interface PlainSource {
  next(): Promise<Buffer | null>;
  stop(): void;
}

/** Where ciphertext goes: whole pieces in order, then `end` once all are written; `abort` on failure. */
export interface CipherSink {
  write(pieces: Buffer[], bytes: number): Promise<void>;
  end(): Promise<void>;
  abort(): void;
}

export async function seal(encrypting: Duplex, source: PlainSource, sink: CipherSink, hashes: Hashes = BOTH_HASHES): Promise<Sealed> {
  let failure: { error: unknown } | null = null;
  const fail = (error: unknown): void => void (failure ??= { error });
  const failed = (): boolean => failure !== null;
  const [plain, cipher] = await Promise.all([
    feed(encrypting, source, hashes.plaintext ? createHash('sha256') : null, fail, failed),
    drain(encrypting, sink, hashes.ciphertext ? createHash('sha256') : null, fail, failed),
  ]);
  if (failure) {
    sink.abort();
    throw (failure as { error: unknown }).error;
  }
  return { plaintextSha256: plain.sha256, plaintextBytes: plain.bytes, ciphertextSha256: cipher.sha256, ciphertextBytes: cipher.bytes };
}

interface Side {
  sha256: string | null;
  bytes: number;
}

async function feed(encrypting: Duplex, source: PlainSource, hash: Hash | null, fail: (e: unknown) => void, failed: () => boolean): Promise<Side> {
  let bytes = 0;
  try {
    for (let chunk = await source.next(); chunk && !failed(); chunk = await source.next()) {
      hash?.update(chunk);
      bytes += chunk.length;
      await written(encrypting, chunk);
    }
  } catch (e) {
    fail(e);
  }
  if (failed()) source.stop();
  if (!encrypting.destroyed && !encrypting.writableEnded) encrypting.end();
  return { sha256: hash ? hash.digest('hex') : null, bytes };
}

/** Resolves once `stream` has taken `chunk` (its write callback), rejects if it fails or closes first. */
function written(stream: Duplex, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error | null): void => {
      stream.off('error', done).off('close', closed);
      if (e) reject(e);
      else resolve();
    };
    const closed = (): void => done(new Error('encryption stream closed before it took the recording'));
    stream.once('error', done).once('close', closed);
    stream.write(chunk, done);
  });
}

/**
 * Reads the SDK's output with 'data' events, pausing while a block is written. (Its async iterator
 * calls read(), which in readable-stream 3 joins whatever is buffered, header, frame body and tag,
 * into one new buffer: a copy of every frame.)
 */
function drain(encrypting: Duplex, sink: CipherSink, hash: Hash | null, fail: (e: unknown) => void, failed: () => boolean): Promise<Side> {
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let writing = Promise.resolve();
  const flush = async (): Promise<void> => {
    const [pieces, size] = [pending, pendingBytes];
    pending = [];
    pendingBytes = 0;
    if (size > 0 && !failed()) await sink.write(pieces, size).catch(fail);
  };
  return new Promise((resolve) => {
    let side: Side | null = null;
    const done = (): void => resolve((side ??= { sha256: hash ? hash.digest('hex') : null, bytes }));
    encrypting.on('data', (piece: Buffer) => {
      if (failed()) return; // read to the end so the SDK finishes; see the header
      hash?.update(piece);
      bytes += piece.length;
      pending.push(piece);
      pendingBytes += piece.length;
      if (pendingBytes < OUTPUT_BLOCK) return;
      encrypting.pause();
      writing = writing.then(flush).then(() => void encrypting.resume());
    });
    encrypting.once('end', () => {
      writing = writing.then(flush).then(async () => {
        if (!failed()) await sink.end().catch(fail);
        done();
      });
    });
    encrypting.once('error', (e: Error) => {
      fail(e);
      void writing.then(done);
    });
  });
}

/**
 * Two frame-sized read buffers per encryption running at once, kept between recordings: a fresh
 * pair per recording was a third of the memory each one allocated (with the cipher's output), and
 * V8 starts a full collection per so many MB allocated outside its heap.
 */
export class ReadBuffers {
  readonly #free: Buffer[][] = [];
  constructor(readonly frameLength: number) {}
  take(): Buffer[] {
    return this.#free.pop() ?? [Buffer.allocUnsafeSlow(this.frameLength), Buffer.allocUnsafeSlow(this.frameLength)];
  }
  /** Only once the SDK has finished the message: until then it may still read them. */
  give(pair: Buffer[]): void {
    this.#free.push(pair);
  }
}

/**
 * Reads the file at descriptor `fd` from offset 0 (its own offset is left alone) into the `pair` of
 * frame-sized buffers, taken in turn. Reuse rests on how the SDK's framed stream works
 * (@aws-crypto/encrypt-node 5.x): a chunk that completes a frame is encrypted before its write
 * callback runs, and a chunk that does not is kept until the frame completes. So a buffer is reused
 * only while every chunk so far was a whole frame; after a short read every chunk gets a fresh
 * buffer. Should a later SDK keep chunks longer, the multi-frame round-trip tests (distinct content
 * per frame) fail.
 */
export function fileSource(fd: number, pair: Buffer[]): PlainSource {
  const frameLength = pair[0]!.length;
  let position = 0;
  let turn = 0;
  let wholeFramesSoFar = true;
  return {
    async next() {
      const buffer = wholeFramesSoFar ? pair[turn++ % 2]! : Buffer.allocUnsafe(frameLength);
      const { bytesRead } = await readAt(fd, buffer, 0, frameLength, position);
      if (bytesRead === 0) return null;
      position += bytesRead;
      if (bytesRead < frameLength) wholeFramesSoFar = false;
      return buffer.subarray(0, bytesRead);
    },
    stop() {},
  };
}

export function streamSource(input: Readable): PlainSource {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return {
    async next() {
      const r = await chunks.next();
      return r.done ? null : r.value;
    },
    stop() {
      input.destroy();
    },
  };
}

/** Writes into an open file; a regular file may take less than asked, so writev repeats. */
export function fileSink(out: FileHandle): CipherSink {
  return {
    async write(pieces, bytes) {
      let rest = pieces;
      let left = bytes;
      while (left > 0) {
        const { bytesWritten } = await out.writev(rest);
        left -= bytesWritten;
        if (left > 0) rest = [Buffer.concat(rest).subarray(bytesWritten)];
      }
    },
    async end() {},
    abort() {},
  };
}

/** Writes into a stream, waiting for 'drain' when it asks; `end` resolves once it has finished. */
export function streamSink(output: Writable): CipherSink {
  const failed = new Promise<never>((_, reject) => {
    output.once('error', reject);
    output.once('close', () => reject(new Error('output closed before the recording was written')));
  });
  failed.catch(() => {});
  const settle = (p: Promise<void>): Promise<void> => Promise.race([p, failed]);
  return {
    async write(pieces) {
      let full = false;
      for (const piece of pieces) full = !output.write(piece) || full;
      if (full) await settle(new Promise<void>((resolve) => output.once('drain', resolve)));
    },
    end() {
      return settle(new Promise<void>((resolve) => output.end(resolve)));
    },
    abort() {
      output.destroy();
    },
  };
}

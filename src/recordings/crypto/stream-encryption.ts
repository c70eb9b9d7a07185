// Encrypting a recording straight into an upload, with no ciphertext file: the plaintext is read
// once, hashed (as asked) and encrypted, and the message goes out as the upload's body while it is
// made. The upload is started once the SDK has built the message header, before the first byte of
// the message, so it knows the body's exact length (message-size.ts) and the message id.
//
// Failure either way stops both: an upload that fails (a lost connection) destroys the body, which
// makes the encryption end early the way seal() ends it (the SDK's stream is drained, never
// destroyed); an encryption that fails destroys the body, which fails the upload. The first
// failure is the one reported. An upload may also answer before it has read the whole message
// (the store already holds the object: If-None-Match refused): the encryption stops the same way
// and the answer comes back with no result. A body that would come out longer or shorter
// than announced is cut off with an error rather than sent: a store must never get a short body
// under a length it believes.
import type { MessageHeader } from '@aws-crypto/client-node';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { seal, streamSink, type CipherSink, type Hashes, type PlainSource, type Sealed } from './file-encryption.js';
import { messageBytes } from './message-size.js';

/** What the upload gets, before the first byte of the message. */
export interface StreamedBody {
  /** The message as it is made; ends after exactly `bytes`. */
  readonly body: Readable;
  readonly bytes: number;
  /** The message id of the header (hex): tells this attempt's object from another's. */
  readonly messageId: string;
}

/** How much of the message may wait between the encryption and the upload. */
const BODY_BUFFER = 256 * 1024;

export async function sealInto<T>(
  encrypting: Duplex,
  source: PlainSource,
  plaintextBytes: number,
  hashes: Hashes,
  upload: (b: StreamedBody) => Promise<T>,
  /** Maps a failure of the encryption (not of the upload, whose errors stay as they are). */
  encryptionError: (e: unknown) => unknown,
): Promise<{ sealed: Sealed | null; uploaded: T }> {
  const body = new PassThrough({ highWaterMark: BODY_BUFFER });
  body.on('error', () => {}); // reported through the upload and seal(), never as an uncaught 'error'
  let first: { error: unknown } | null = null;
  const note = (error: unknown): never => {
    first ??= { error };
    throw error;
  };
  let expected = -1;
  /** Set when the upload answered before it had read the whole message (the store declined it). */
  let declined = false;
  let uploading: Promise<T> | null = null;
  encrypting.once('MessageHeader', (h: MessageHeader) => {
    expected = messageBytes(h, plaintextBytes);
    const b: StreamedBody = { body, bytes: expected, messageId: Buffer.from(h.messageId).toString('hex') };
    // In a promise, so that an upload throwing at once is a rejection, not an exception in the SDK's event.
    uploading = new Promise<T>((resolve) => resolve(upload(b))).catch(note);
    uploading.then(
      () => {
        if (body.readableEnded) return;
        declined = true;
        body.destroy();
      },
      (e: unknown) => body.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  });
  // A wrong length is the encryption's failure: noted before the body's destruction fails the upload.
  const cutOff = (e: Error): Error => {
    first ??= { error: encryptionError(e) };
    body.destroy(e);
    return e;
  };
  const sealing = seal(encrypting, source, exactly(streamSink(body), () => expected, cutOff), hashes);
  // seal() destroys the body only once it has failed: noted here before the upload sees it fail.
  // Not when the upload declined the message: then the body's destruction is the stop, no failure.
  sealing.catch((e: unknown) => {
    if (!declined) first ??= { error: encryptionError(e) };
  });
  const [sealed, uploaded] = await Promise.allSettled([sealing, sealing.then(() => uploading, () => uploading)]);
  if (first) throw (first as { error: unknown }).error;
  if (uploaded.status === 'rejected') throw uploaded.reason;
  if (uploading === null) throw encryptionError(sealed.status === 'rejected' ? sealed.reason : new Error('the encryption ended without a message header'));
  if (declined) return { sealed: null, uploaded: uploaded.value as T };
  if (sealed.status === 'rejected') throw encryptionError(sealed.reason);
  return { sealed: sealed.value, uploaded: uploaded.value as T };
}

/** A sink that refuses to write more, or end with fewer, bytes than `expected()` says. */
function exactly(sink: CipherSink, expected: () => number, cutOff: (e: Error) => Error): CipherSink {
  let written = 0;
  const wrong = (what: string): Error => cutOff(new Error(`the message is ${what} than the ${expected()} bytes announced to the upload`));
  return {
    async write(pieces, bytes) {
      written += bytes;
      if (expected() < 0 || written > expected()) throw wrong('longer');
      await sink.write(pieces, bytes);
    },
    async end() {
      if (written !== expected()) throw wrong('shorter');
      await sink.end();
    },
    abort: () => sink.abort(),
  };
}

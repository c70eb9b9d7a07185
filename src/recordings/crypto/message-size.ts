// The exact length of an encrypted recording, known before its body is written: an S3 PutObject
// of a streamed body needs its Content-Length up front. The body's layout is fixed by the format
// (framed content, message format 2, no signature: docs/recording-format.md); the header's length
// depends on the encrypted data key, so it is read off the header the SDK emits ('MessageHeader')
// before the first byte of the message. A prediction that is wrong makes the upload fail (the
// store refuses a body of another length) and the count taken while encrypting disagree, never a
// short object; the round-trip tests compare it with real messages of every frame-boundary case.
import { MessageFormat, type MessageHeader } from '@aws-crypto/client-node';

/** Sequence number (4) + IV (12) before a regular frame's content, the GCM tag (16) after it. */
const FRAME_OVERHEAD = 4 + 12 + 16;
/** End marker (4) + sequence number (4) + IV (12) + content length (4), then the tag (16). */
const FINAL_FRAME_OVERHEAD = 4 + 4 + 12 + 4 + 16;
/** Message format 2's header authentication: the GCM tag alone (format 1 also carries an IV). */
const HEADER_AUTH_V2 = 16;

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Bytes of a format-2 header as the SDK serialises it, with its authentication tag. */
export function headerBytes(h: MessageHeader): number {
  if (h.version !== MessageFormat.V2) throw new Error(`message format ${String(h.version)}: only format 2 is written`);
  const pairs = Object.entries(h.encryptionContext);
  // An empty context is the 2-byte length 0 alone; otherwise length, count, then each pair.
  const context = pairs.length === 0 ? 2 : 2 + 2 + pairs.reduce((n, [k, v]) => n + 2 + utf8Length(k) + 2 + utf8Length(v), 0);
  const keys =
    2 +
    h.encryptedDataKeys.reduce(
      (n, k) => n + 2 + utf8Length(k.providerId) + 2 + (k.rawInfo ? k.rawInfo.byteLength : utf8Length(k.providerInfo)) + 2 + k.encryptedDataKey.byteLength,
      0,
    );
  // version, suite id, message id, context, keys, content type, frame length, suite data (commitment)
  return 1 + 2 + h.messageId.byteLength + context + keys + 1 + 4 + h.suiteData.byteLength + HEADER_AUTH_V2;
}

/**
 * Length of the whole message for `plaintextBytes` of plaintext: the header, one full frame per
 * frame length of plaintext, then the final frame with the rest (empty when the plaintext fills
 * its frames exactly, as the SDK writes it).
 */
export function messageBytes(h: MessageHeader, plaintextBytes: number): number {
  const full = Math.floor(plaintextBytes / h.frameLength);
  const rest = plaintextBytes - full * h.frameLength;
  return headerBytes(h) + full * (h.frameLength + FRAME_OVERHEAD) + rest + FINAL_FRAME_OVERHEAD;
}

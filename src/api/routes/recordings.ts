import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccessLog } from '../../evidence/access-log.js';
import type { StoredEvent } from '../../evidence/types.js';
import { intervalsInRecording, pausedIntervals } from '../../recordings/control/intervals.js';
import type { RecordingEnvelope } from '../../recordings/crypto/envelope.js';
import { CryptoError } from '../../recordings/crypto/errors.js';
import type { RecordingRepository, RecordingRow } from '../../recordings/pipeline/repo.js';
import { ObjectStoreError } from '../../recordings/storage/errors.js';
import { ID_PATTERN } from '../../recordings/storage/keys.js';
import type { ObjectStore } from '../../recordings/storage/port.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import { decideRange } from '../range.js';
import type { ApiInstance } from '../types.js';
import { callIdSchema, logAccess, reasonSchema, requiredReasonSchema } from './evidence-deps.js';
import { recordingViewSchema, wavBody } from './response-schemas.js';

/** What the recording routes need; the composition root builds it once. */
export interface RecordingApiDeps {
  /** The pipeline's table, on either engine (read only here). */
  readonly recordings: Pick<RecordingRepository, 'get' | 'ofCall'>;
  /** Where the encrypted recordings are. */
  readonly store: ObjectStore;
  /** This host's envelope; null when its key could not be opened. Playback needs `canDecrypt`. */
  readonly envelope: Pick<RecordingEnvelope, 'canDecrypt' | 'decryptStream'> | null;
  /** Every listing and playback goes into the ledger first. */
  readonly access: AccessLog;
  /** The call's ledger events: the listing shows each recording's paused intervals (PCI) from them. */
  readonly callEvents?: (callId: string) => Promise<readonly StoredEvent[]>;
}

/** Stored and verified in the object store: the only states a recording is played from. */
const STORED = new Set<RecordingRow['state']>(['verified', 'done']);

/** A recording as the API shows it: ids, state, sizes and hashes; no personal data. */
export function recordingView(r: RecordingRow) {
  const stored = STORED.has(r.state) && r.object_key !== null && r.plaintext_bytes !== null;
  const quarantined = r.disposition === 'quarantine';
  return {
    id: r.id,
    callId: r.call_id,
    state: r.state,
    stored,
    quarantined,
    quarantineReason: r.quarantine_reason,
    playable: stored && !quarantined,
    /** Plaintext (WAV) bytes: the Content-Length of a full playback. */
    bytes: r.plaintext_bytes,
    plaintextSha256: r.plaintext_sha256,
    startedAt: r.started_at,
    stoppedAt: r.stopped_at,
    createdAt: r.created_at,
  };
}

/**
 * The recordings of a call, and playback of one (role `dpo`). A playback needs a stated reason
 * and is in the ledger (`access.logged`: who, the recording and its call, the reason and the
 * bytes served) before its first byte leaves; no log, no audio.
 */
export function recordingApiRoutes(deps: RecordingApiDeps): ReadonlyArray<(app: ApiInstance) => Promise<void>> {
  return [recordingRoutes(deps)];
}

export function recordingRoutes(deps: RecordingApiDeps) {
  return async (app: ApiInstance) => {
    app.get(
      '/calls/:callId/recordings',
      {
        config: { role: 'dpo' },
        schema: {
          summary: "A call's recordings: state, size, plaintext SHA-256, stored/quarantined, whether playable (no personal data)",
          tags: ['recordings'],
          params: z.strictObject({ callId: callIdSchema }),
          querystring: z.strictObject({ reason: reasonSchema }),
          response: { 200: z.object({ callId: z.string(), recordings: z.array(recordingViewSchema) }).describe("the call's recordings"), ...errorResponses('unavailable') },
        },
      },
      async (request) => {
        const { callId } = request.params;
        const rows = await deps.recordings.ofCall(callId);
        await logAccess(deps, request, { callIds: [callId], recordingIds: rows.map((r) => r.id), reason: request.query.reason });
        const paused = deps.callEvents && rows.length > 0 ? pausedIntervals(await deps.callEvents(callId)) : [];
        return { callId, recordings: rows.map((r) => ({ ...recordingView(r), pausedIntervals: intervalsInRecording(paused, r.started_at, r.stopped_at) })) };
      },
    );

    app.get(
      '/recordings/:recordingId/audio',
      {
        config: { role: 'dpo' },
        // A HEAD would log an access and start a decryption for nothing: GET only.
        exposeHeadRoute: false,
        schema: {
          summary: 'Play a recording: the decrypted WAV (audio/wav), with single-range requests; a reason is required',
          description:
            'Streams the plaintext WAV. `Range: bytes=a-b | a- | -n` (one range) gives 206 with Content-Range over the plaintext; ' +
            'a range outside the recording gives 416 with `Content-Range: bytes */N`; several ranges, or a Range this API cannot ' +
            'read, give the whole recording (200). The access is in the ledger before the first byte; when it cannot be written, 503. ' +
            'Errors: 404 unknown id; 409 `recording_quarantined`, `recording_not_stored`, `no_decrypt_key`; 410 `recording_deleted`. ' +
            'A stored object that fails authentication after the headers were sent aborts the connection: a body shorter than ' +
            'Content-Length is never a recording.',
          tags: ['recordings'],
          params: z.strictObject({ recordingId: z.string().regex(ID_PATTERN, 'must be a recording id') }),
          querystring: z.strictObject({ reason: requiredReasonSchema }),
          headers: z.looseObject({
            range: z.string().optional().describe('bytes=a-b, bytes=a- or bytes=-n, over the plaintext WAV'),
            'if-range': z.string().optional().describe('the ETag of an earlier response; the range is served only while it still matches'),
          }),
          response: {
            200: wavBody('the whole recording'),
            206: wavBody('the requested range (Content-Range)'),
            ...errorResponses('not_found', 'recording_quarantined', 'recording_not_stored', 'no_decrypt_key', 'recording_deleted', 'range_not_satisfiable', 'recording_unreadable', 'internal', 'unavailable'),
          },
        },
      },
      async (request, reply) => {
        const row = await deps.recordings.get(request.params.recordingId);
        if (!row) throw new ApiError('not_found', 'no such recording');
        if (row.disposition === 'quarantine') throw new ApiError('recording_quarantined');
        if (row.state === 'deleted') throw new ApiError('recording_deleted');
        if (!STORED.has(row.state) || row.object_key === null || row.plaintext_bytes === null) {
          throw new ApiError('recording_not_stored', `this recording is ${row.state}, not stored and verified; it can be played once it is`);
        }
        if (!deps.envelope?.canDecrypt) throw new ApiError('no_decrypt_key');

        const size = row.plaintext_bytes;
        const etag = row.plaintext_sha256 ? `"${row.plaintext_sha256}"` : null;
        const ifRange = request.headers['if-range'];
        // If-Range: strong comparison with our ETag; anything else (a date, another tag) → whole.
        const range = ifRange !== undefined && ifRange !== etag ? { kind: 'whole' as const } : decideRange(request.headers.range, size);
        reply.header('accept-ranges', 'bytes').header('cache-control', 'no-store');
        if (range.kind === 'unsatisfiable') {
          return reply
            .status(416)
            .header('content-range', `bytes */${size}`)
            .send({ error: 'range_not_satisfiable', message: `the requested range is outside the recording (${size} bytes)` });
        }
        const start = range.kind === 'partial' ? range.start : 0;
        const end = range.kind === 'partial' ? range.end : size - 1;

        await logAccess(deps, request, {
          callIds: row.call_id ? [row.call_id] : [],
          recordingIds: [row.id],
          range: size === 0 ? 'bytes */0' : `bytes ${start}-${end}/${size}`,
          reason: request.query.reason,
        });

        const body = await openPlayback(deps, row, request, reply, { start, end, size });
        if (etag) reply.header('etag', etag);
        reply
          .type('audio/wav')
          .header('content-disposition', `inline; filename="${row.id}.wav"`)
          .header('content-length', String(size === 0 ? 0 : end - start + 1));
        if (range.kind === 'partial') reply.status(206).header('content-range', `bytes ${start}-${end}/${size}`);
        return reply.send(body);
      },
    );
  };
}

/**
 * Opens the object and decrypts up to its first plaintext chunk before any header is sent, so a
 * missing object, a wrong key or a damaged header is a clean error response. What follows is
 * streamed; an error from then on (a tampered later frame, a short message) destroys the
 * stream, and Fastify destroys the socket: the client sees a body shorter than Content-Length.
 *
 * Ranges: the message is framed AES-GCM (64 KiB frames) and decryption is sequential, so a
 * range is served by decrypting from the start, skipping the bytes before it and stopping
 * after its end. A range near the end of a long recording costs a decryption of everything
 * before it (~280 MB/s measured: ~0.2 s for an hour of 8 kHz 16-bit mono). Seeking to the frame
 * that holds `start` (frames have fixed plaintext length, so its offset is computable) is
 * possible with a frame-level reader, but out of scope.
 */
async function openPlayback(
  deps: RecordingApiDeps,
  row: RecordingRow,
  request: FastifyRequest,
  reply: FastifyReply,
  w: { start: number; end: number; size: number },
): Promise<Readable> {
  let plain: Readable;
  let it: AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    const input = await deps.store.get(row.object_key!);
    plain = deps.envelope!.decryptStream(input, { expectedCallId: row.context_id });
    it = plain[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    first = await it.next();
  } catch (err) {
    throw playbackError(err, row, request);
  }
  // Reaching the last byte means decrypting to the end of the message: then the whole plaintext
  // is checked against the row (length and SHA-256) before the last chunk is released.
  const verify = w.size === 0 || w.end === w.size - 1 ? { bytes: w.size, sha256: row.plaintext_sha256 } : null;
  const stream = Readable.from(guarded(sliced(first, it, w.start, w.end, w.size, verify), reply), { objectMode: false });
  stream.once('error', (err) => {
    const sent = reply.raw.headersSent;
    request.log.error(
      { err: err.cause ?? err, recordingId: row.id, headersSent: sent },
      sent ? 'recording playback aborted mid-stream: connection cut' : 'recording playback failed before its first byte; nothing was served',
    );
  });
  return stream;
}

/**
 * Fastify writes the status line and headers with the first body byte. A failure before it (a
 * range far into the recording reaches a damaged frame before yielding anything) becomes a clean
 * `recording_unreadable` response, without the audio headers already set; after it, Fastify
 * destroys the socket, so the client never holds a body as long as Content-Length.
 */
async function* guarded(body: AsyncGenerator<Buffer>, reply: FastifyReply): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (err) {
    if (!reply.raw.headersSent) {
      for (const h of ['content-range', 'content-disposition', 'etag', 'accept-ranges', 'content-length', 'content-type']) reply.raw.removeHeader(h);
      for (const h of ['content-range', 'content-disposition', 'etag']) reply.removeHeader(h);
    }
    throw new ApiError('recording_unreadable', undefined, undefined, { cause: err });
  }
}

async function* sliced(
  first: IteratorResult<Buffer>,
  it: AsyncIterator<Buffer>,
  start: number,
  end: number,
  size: number,
  verify: { bytes: number; sha256: string | null } | null,
): AsyncGenerator<Buffer> {
  const hash = verify?.sha256 ? createHash('sha256') : null;
  let pos = 0;
  let held: Buffer | null = null;
  let next = first;
  try {
    while (!next.done) {
      const chunk = next.value;
      hash?.update(chunk);
      const from = pos;
      pos += chunk.length;
      if (pos > size) throw new PlaybackIntegrityError(`the plaintext is longer than the ${size} bytes recorded`);
      if (pos > start && from <= end) {
        const part = chunk.subarray(Math.max(0, start - from), Math.min(chunk.length, end + 1 - from));
        if (verify) {
          if (held) yield held;
          held = part;
        } else {
          yield part;
        }
      }
      if (!verify && pos > end) return;
      next = await it.next();
    }
  } finally {
    // Stopped early (range served, client gone, error): stop decrypting and close the object.
    if (!next.done) await it.return?.().catch(() => undefined);
  }
  // The message ended with its final frame authenticated; still, it must be what was recorded.
  if (pos !== size) throw new PlaybackIntegrityError(`the plaintext is ${pos} bytes, ${size} were recorded`);
  if (hash && verify?.sha256 && hash.digest('hex') !== verify.sha256) throw new PlaybackIntegrityError('the plaintext SHA-256 differs from the one recorded');
  if (held) yield held;
}

class PlaybackIntegrityError extends Error {
  override readonly name = 'PlaybackIntegrityError';
}

function playbackError(err: unknown, row: RecordingRow, request: FastifyRequest): ApiError {
  if (err instanceof CryptoError) {
    if (err.code === 'NO_DECRYPT_KEY') return new ApiError('no_decrypt_key');
    request.log.error({ err, recordingId: row.id }, 'stored recording failed decryption; nothing was served');
    return new ApiError('recording_unreadable');
  }
  if (err instanceof ObjectStoreError) {
    request.log.error({ err, recordingId: row.id }, 'recording object could not be read; nothing was served');
    if (err.code === 'NOT_FOUND') return new ApiError('recording_deleted', "the recording's object is no longer in the store");
    return new ApiError('unavailable', 'the recordings store could not be read; nothing was served');
  }
  request.log.error({ err, recordingId: row.id }, 'recording playback failed before any byte was sent');
  return new ApiError('recording_unreadable');
}

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { quarantineObjectKey } from '../../src/recordings/pipeline/index.js';
import type { QuarantineReason, RecordingRow, RecordingState } from '../../src/recordings/pipeline/repo.js';
import { recordingObjectKey } from '../../src/recordings/storage/keys.js';
import type { ObjectStore } from '../../src/recordings/storage/port.js';
import { wavHeader } from '../emulators/ami/wav.js';
import { seedCall, type EvidenceApp } from './evidence-helpers.js';

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * A WAV of `dataBytes` bytes of random PCM behind a real 44-byte header: no period, so a range
 * served from the wrong offset can never match by chance.
 */
export function noiseWav(dataBytes: number): Buffer {
  return Buffer.concat([wavHeader(dataBytes), randomBytes(dataBytes)]);
}

export interface SeededRecording {
  readonly row: RecordingRow;
  readonly callId: string;
  readonly wav: Buffer;
  /** Where the evidence app's local store keeps the ciphertext (to tamper with it). */
  readonly objectPath: string;
}

/**
 * A recording as the pipeline leaves it: the WAV encrypted by the real envelope under the call's
 * context, put into the local object store under its real key, and its row in `recordings`
 * (inserted, then patched to the stored state, as the pipeline's repo does). The call is in the
 * ledger unless `callInLedger: false`.
 */
export async function seedRecording(
  t: Pick<EvidenceApp, 'envelope' | 'dir' | 'store' | 'recordings'> & { readonly objects: ObjectStore },
  opts: {
    wav?: Buffer;
    callId?: string;
    state?: RecordingState;
    quarantine?: QuarantineReason;
    callInLedger?: boolean;
  } = {},
): Promise<SeededRecording> {
  if (!t.envelope) throw new Error('this app has no recording envelope');
  const callId = opts.callId ?? randomUUID();
  const wav = opts.wav ?? noiseWav(200_000);
  const startedAt = '2026-03-01T12:00:00.000Z';
  if (opts.callInLedger !== false && !opts.callId) {
    await seedCall(t.store, { callId, number: '+48600700800', startedAt, outcome: 'continued' });
  }
  const id = randomUUID();
  const file = join(t.dir, `${id}.wav.enc`);
  const enc = await t.envelope.encryptStream(Readable.from([wav]), createWriteStream(file), { callId, plaintextBytes: wav.length });
  const key = opts.quarantine ? quarantineObjectKey({ recordingId: id, startedAt }) : recordingObjectKey({ callId, recordingId: id, startedAt });
  await t.objects.put(key, file, { bytes: enc.ciphertextBytes, sha256: enc.ciphertextSha256 });
  rmSync(file);
  const now = new Date().toISOString();
  await t.recordings.insert(
    {
      id,
      callId,
      source: 'spool',
      sourceName: `consentline-${callId}-1700000000.2.wav`,
      foundBy: 'scan',
      uniqueid: '1700000000.2',
      linkedid: '1700000000.1',
      state: 'spooled',
      startedAt,
      stoppedAt: '2026-03-01T12:01:00.000Z',
      stopReason: 'hangup',
      contextId: callId,
    },
    now,
  );
  const row = await t.recordings.update(
    id,
    {
      state: opts.state ?? 'done',
      disposition: opts.quarantine ? 'quarantine' : 'keep',
      quarantine_reason: opts.quarantine ?? null,
      store: 'local',
      object_key: key,
      plaintext_bytes: enc.plaintextBytes,
      plaintext_sha256: enc.plaintextSha256,
      ciphertext_bytes: enc.ciphertextBytes,
      ciphertext_sha256: enc.ciphertextSha256,
      key_id: enc.keyId,
      next_attempt_at: null,
    },
    null,
  );
  return { row, callId, wav, objectPath: join(t.dir, 'store', key) };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** True when the body ended normally; false when the connection was cut. */
  readonly complete: boolean;
  /** What `onHeaders` returned, evaluated when the status line and headers arrived. */
  readonly atHeaders: unknown;
}

/** A GET over a real socket, to see what a client sees when the server aborts mid-body. */
export function rawGet(url: string, headers: Record<string, string>, onHeaders: () => unknown = () => undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const atHeaders = onHeaders();
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (complete: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete, atHeaders });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.complete));
      res.on('aborted', () => done(false));
      res.on('error', () => done(false));
      res.on('close', () => done(res.complete));
    });
    req.on('error', reject);
    req.end();
  });
}

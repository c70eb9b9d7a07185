/**
 * Is a spooled file a recording at all? Pure checks on the first bytes of the file and its size:
 * the WAV that MixMonitor writes for the `.wav` names the pipeline takes (RIFF/WAVE, PCM; A-law,
 * mu-law and GSM 6.10 are accepted as other Asterisk WAV codecs), a header that agrees with itself
 * and with the file's size, a size cap, and a duration no longer than the call's.
 *
 * Two header states of MixMonitor are recordings:
 * - the 44-byte header alone (a call with no audio frame written): an empty recording, 0 s;
 * - sizes still 0 (Asterisk stopped before it wrote the final sizes): the data runs to the end of
 *   the file and its length is taken from the file size.
 */

/** Bytes read from the start of the file; every chunk before `data` must lie within them. */
export const AUDIO_HEAD_BYTES = 64 * 1024;

/** Slack on the call's duration: Asterisk's and this host's clocks, frames buffered at hang-up. */
export const DURATION_MARGIN_SECONDS = 30;

export type AudioCodec = 'pcm' | 'alaw' | 'ulaw' | 'gsm';

export interface AudioInfo {
  readonly codec: AudioCodec;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly dataBytes: number;
  readonly durationSeconds: number;
  /** False when the header still holds MixMonitor's provisional zero sizes. */
  readonly sizesFinal: boolean;
}

export type AudioProblemReason = 'not_audio' | 'bad_audio_header' | 'too_large' | 'longer_than_call';

export type AudioVerdict =
  | { readonly ok: true; readonly audio: AudioInfo }
  | { readonly ok: false; readonly reason: AudioProblemReason; readonly detail: string };

type FmtInfo = Omit<AudioInfo, 'dataBytes' | 'durationSeconds' | 'sizesFinal'> & { readonly byteRate: number };

const CODECS: Readonly<Record<number, AudioCodec>> = { 0x0001: 'pcm', 0x0006: 'alaw', 0x0007: 'ulaw', 0x0031: 'gsm', 0xfffe: 'pcm' };
const MAX_FMT_BYTES = 64;
const MAX_CHUNKS = 64;
const GSM_BLOCK_BYTES = 65;
const GSM_BLOCK_SAMPLES = 320;

const bad = (detail: string): AudioVerdict => ({ ok: false, reason: 'bad_audio_header', detail });

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function looksLikeText(b: Uint8Array): boolean {
  const sample = b.subarray(0, 64);
  return sample.length > 0 && sample.every((c) => c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f) || c >= 0x80);
}

/**
 * Checks `head` (the first {@link AUDIO_HEAD_BYTES} of a file of `fileBytes` bytes, or all of it).
 *
 * @example
 *   const v = checkWavHeader(await readHead(fh), size, { maxBytes: 256 * 2 ** 20 });
 *   if (!v.ok) quarantine(v.reason, v.detail);
 */
export function checkWavHeader(head: Uint8Array, fileBytes: number, limits: { readonly maxBytes: number }): AudioVerdict {
  if (fileBytes === 0) return { ok: false, reason: 'not_audio', detail: 'empty file (0 bytes)' };
  if (head.length < 12 || ascii(head, 0) !== 'RIFF' || ascii(head, 8) !== 'WAVE') {
    const kind = looksLikeText(head) ? 'text' : 'binary data';
    return { ok: false, reason: 'not_audio', detail: `not a WAV file: no RIFF/WAVE header (${fileBytes} bytes of ${kind})` };
  }
  if (fileBytes > limits.maxBytes) {
    return { ok: false, reason: 'too_large', detail: `${fileBytes} bytes, over the cap of ${limits.maxBytes} (recordings.maxFileMB)` };
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const riffBytes = view.getUint32(4, true);
  // MixMonitor writes the sizes at the end; 0 until then. Else the RIFF chunk is the whole file.
  const provisional = riffBytes === 0;
  if (!provisional && riffBytes + 8 > fileBytes) return bad(`truncated: the RIFF header says ${riffBytes + 8} bytes, the file has ${fileBytes}`);
  if (!provisional && riffBytes + 8 < fileBytes - 1) return bad(`${fileBytes - riffBytes - 8} bytes after the RIFF chunk`);

  let fmt: FmtInfo | null = null;
  let offset = 12;
  for (let n = 0; n < MAX_CHUNKS; n++) {
    if (offset + 8 > fileBytes) return bad('truncated: no data chunk');
    if (offset + 8 > head.length) return bad(`no data chunk in the first ${head.length} bytes`);
    const id = ascii(head, offset);
    if (!/^[\x20-\x7e]{4}$/.test(id)) return bad(`unreadable chunk id at byte ${offset}`);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'data') {
      if (!fmt) return bad('data chunk before the fmt chunk');
      const available = fileBytes - body;
      let dataBytes = size;
      let sizesFinal = true;
      if ((size === 0 || size === 0xffffffff) && provisional) {
        dataBytes = available;
        sizesFinal = false;
      } else if (size > available) {
        return bad(`truncated: the data chunk says ${size} bytes, ${available} follow`);
      }
      const durationSeconds = dataBytes / fmt.byteRate;
      const { byteRate: _rate, ...info } = fmt;
      return { ok: true, audio: { ...info, dataBytes, durationSeconds, sizesFinal } };
    }
    const end = body + size + (size & 1);
    if (end > fileBytes) return bad(`chunk "${id}" says ${size} bytes, the file ends ${fileBytes - body} bytes after its header`);
    if (id === 'fmt ') {
      if (fmt) return bad('two fmt chunks');
      if (size < 16 || size > MAX_FMT_BYTES) return bad(`fmt chunk of ${size} bytes (expected 16 to ${MAX_FMT_BYTES})`);
      const parsed = parseFmt(view, body);
      if (typeof parsed === 'string') return bad(parsed);
      fmt = parsed;
    }
    offset = end;
  }
  return bad(`more than ${MAX_CHUNKS} chunks before the data chunk`);
}

function parseFmt(view: DataView, at: number): FmtInfo | string {
  const tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const byteRate = view.getUint32(at + 8, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  const codec = CODECS[tag];
  if (!codec) return `audio format 0x${tag.toString(16).padStart(4, '0')} is none MixMonitor writes (PCM, A-law, mu-law, GSM)`;
  if (channels < 1 || channels > 2) return `${channels} channels (expected 1 or 2)`;
  if (sampleRate < 8000 || sampleRate > 48000) return `sample rate ${sampleRate} Hz (expected 8000 to 48000)`;
  if (codec === 'gsm') {
    const expected = Math.round((sampleRate * GSM_BLOCK_BYTES) / GSM_BLOCK_SAMPLES) * channels;
    if (blockAlign !== GSM_BLOCK_BYTES * channels || Math.abs(byteRate - expected) > channels) {
      return `GSM block ${blockAlign} bytes at ${byteRate} bytes/s (expected ${GSM_BLOCK_BYTES * channels} at ${expected})`;
    }
    return { codec, channels, sampleRate, bitsPerSample, byteRate };
  }
  const allowedBits = codec === 'pcm' ? [8, 16, 24, 32] : [8];
  if (!allowedBits.includes(bitsPerSample)) return `${bitsPerSample} bits per sample for ${codec} (expected ${allowedBits.join(', ')})`;
  if (blockAlign !== (channels * bitsPerSample) / 8) return `block align ${blockAlign} (expected ${(channels * bitsPerSample) / 8})`;
  if (byteRate !== sampleRate * blockAlign) return `byte rate ${byteRate} (expected ${sampleRate * blockAlign})`;
  return { codec, channels, sampleRate, bitsPerSample, byteRate };
}

/**
 * A recording longer than its call (from the ledger: `call.started` to its end, or to now while
 * it has none) plus {@link DURATION_MARGIN_SECONDS} did not come from that call.
 */
export function checkDuration(audio: AudioInfo, call: { readonly startedAt: string; readonly endedAt: string | null }, nowMs: number): AudioVerdict {
  const start = Date.parse(call.startedAt);
  const end = call.endedAt === null ? nowMs : Date.parse(call.endedAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return { ok: true, audio };
  const callSeconds = Math.max(0, (end - start) / 1000);
  if (audio.durationSeconds <= callSeconds + DURATION_MARGIN_SECONDS) return { ok: true, audio };
  return {
    ok: false,
    reason: 'longer_than_call',
    detail: `${audio.durationSeconds.toFixed(1)} s of audio for a call of ${callSeconds.toFixed(1)} s${call.endedAt === null ? ' so far' : ''}`,
  };
}

/** The pure checks that a spooled file is a recording (issue 19.4), hostile headers included. */
import { describe, expect, test } from 'vitest';
import { AUDIO_HEAD_BYTES, checkDuration, checkWavHeader, DURATION_MARGIN_SECONDS, type AudioInfo } from '../../../src/recordings/pipeline/audio-check.js';
import { silentWav, toneWav } from '../../emulators/ami/wav.js';

const LIMITS = { maxBytes: 10 * 2 ** 20 };
const check = (b: Buffer, size = b.length, limits = LIMITS) => checkWavHeader(b.subarray(0, AUDIO_HEAD_BYTES), size, limits);

/** A WAV header with every field settable, then `dataBytes` of audio. */
function wav(o: { tag?: number; channels?: number; rate?: number; bits?: number; blockAlign?: number; byteRate?: number; fmtSize?: number; dataBytes?: number; riff?: number; dataSize?: number } = {}): Buffer {
  const channels = o.channels ?? 1;
  const rate = o.rate ?? 8000;
  const bits = o.bits ?? 16;
  const blockAlign = o.blockAlign ?? (channels * bits) / 8;
  const fmtSize = o.fmtSize ?? 16;
  const dataBytes = o.dataBytes ?? 1600;
  const b = Buffer.alloc(12 + 8 + fmtSize + 8 + dataBytes);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(o.riff ?? b.length - 8, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(fmtSize, 16);
  b.writeUInt16LE(o.tag ?? 1, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(o.byteRate ?? rate * blockAlign, 28);
  b.writeUInt16LE(blockAlign, 32);
  b.writeUInt16LE(bits, 34);
  const data = 20 + fmtSize;
  b.write('data', data, 'ascii');
  b.writeUInt32LE(o.dataSize ?? dataBytes, data + 4);
  return b;
}

describe('checkWavHeader: what MixMonitor writes passes', () => {
  test('a tone: PCM 16-bit mono 8 kHz, duration from the data length', () => {
    const v = check(toneWav(2));
    expect(v).toEqual({ ok: true, audio: { codec: 'pcm', channels: 1, sampleRate: 8000, bitsPerSample: 16, dataBytes: 32_000, durationSeconds: 2, sizesFinal: true } });
  });

  test('the 44-byte header of a call with no audio is an empty recording of 0 s', () => {
    const v = check(silentWav());
    expect(v).toMatchObject({ ok: true, audio: { dataBytes: 0, durationSeconds: 0, sizesFinal: true } });
  });

  test('sizes still 0 (Asterisk stopped before closing the file): the data runs to the end of the file', () => {
    const v = check(wav({ riff: 0, dataSize: 0, dataBytes: 8000 }));
    expect(v).toMatchObject({ ok: true, audio: { dataBytes: 8000, durationSeconds: 0.5, sizesFinal: false } });
  });

  test('other Asterisk codecs: A-law, mu-law, 16 kHz, stereo, GSM 6.10 in WAV, a LIST chunk before the data', () => {
    expect(check(wav({ tag: 6, bits: 8, dataBytes: 8000 }))).toMatchObject({ ok: true, audio: { codec: 'alaw', durationSeconds: 1 } });
    expect(check(wav({ tag: 7, bits: 8 }))).toMatchObject({ ok: true, audio: { codec: 'ulaw' } });
    expect(check(wav({ rate: 16000, channels: 2 }))).toMatchObject({ ok: true, audio: { sampleRate: 16000, channels: 2 } });
    expect(check(wav({ tag: 0x31, bits: 0, blockAlign: 65, byteRate: 1625, fmtSize: 20, dataBytes: 1625 }))).toMatchObject({
      ok: true,
      audio: { codec: 'gsm', durationSeconds: 1 },
    });
    const t = toneWav(0.1);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx\0')]); // odd size, padded
    const withList = Buffer.concat([t.subarray(0, 36), list, t.subarray(36)]);
    withList.writeUInt32LE(withList.length - 8, 4);
    expect(check(withList)).toMatchObject({ ok: true, audio: { dataBytes: 1600 } });
  });
});

describe('checkWavHeader: not audio', () => {
  test('a zero-byte file', () => {
    expect(check(Buffer.alloc(0))).toEqual({ ok: false, reason: 'not_audio', detail: 'empty file (0 bytes)' });
  });

  test('a text file, binary garbage, wrong magic, RIFF of another form', () => {
    expect(check(Buffer.from('hello, this is not a recording\n'))).toMatchObject({ ok: false, reason: 'not_audio', detail: expect.stringMatching(/bytes of text/) });
    expect(check(Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0, 1, 2, 3, 4, 5]))).toMatchObject({ ok: false, reason: 'not_audio', detail: expect.stringMatching(/binary/) });
    const riffAvi = toneWav(0.1);
    riffAvi.write('AVI ', 8, 'ascii');
    expect(check(riffAvi)).toMatchObject({ ok: false, reason: 'not_audio' });
    expect(check(Buffer.from('RIFF'))).toMatchObject({ ok: false, reason: 'not_audio' });
  });

  test('a valid WAV over the size cap is too large', () => {
    expect(check(toneWav(1), 16_044, { maxBytes: 16_000 })).toMatchObject({ ok: false, reason: 'too_large', detail: expect.stringMatching(/16044 bytes, over the cap of 16000/) });
  });
});

describe('checkWavHeader: hostile and broken headers', () => {
  test('a data chunk claiming 4 GiB, and a file cut short, are truncated', () => {
    expect(check(wav({ dataSize: 0xfffffff0 }))).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: expect.stringMatching(/data chunk says 4294967280 bytes/) });
    const full = toneWav(1);
    expect(check(full.subarray(0, 1000))).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: expect.stringMatching(/^truncated/) });
    expect(check(full.subarray(0, 30))).toMatchObject({ ok: false, reason: 'bad_audio_header' });
  });

  test('a RIFF size beyond the file, or garbage after the RIFF chunk', () => {
    expect(check(wav({ riff: 0xffffffff }))).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: expect.stringMatching(/RIFF header says/) });
    expect(check(Buffer.concat([toneWav(0.1), Buffer.alloc(100)]))).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: '100 bytes after the RIFF chunk' });
  });

  test('a chunk before the data with a huge size, an unreadable chunk id, no data chunk in the head', () => {
    const t = toneWav(0.1);
    const huge = Buffer.concat([t.subarray(0, 36), Buffer.from('JUNK'), Buffer.from([0xff, 0xff, 0xff, 0x7f]), t.subarray(36)]);
    huge.writeUInt32LE(huge.length - 8, 4);
    expect(check(huge)).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: expect.stringMatching(/chunk "JUNK" says 2147483647 bytes/) });
    const garbageId = Buffer.from(t);
    garbageId.writeUInt32LE(0x00ff00ff, 36);
    expect(check(garbageId)).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: expect.stringMatching(/unreadable chunk id/) });
    const pad = AUDIO_HEAD_BYTES;
    const farData = Buffer.concat([t.subarray(0, 36), Buffer.from('JUNK'), Buffer.alloc(4), Buffer.alloc(pad), t.subarray(36)]);
    farData.writeUInt32LE(pad, 40);
    farData.writeUInt32LE(farData.length - 8, 4);
    expect(check(farData)).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: expect.stringMatching(/no data chunk in the first/) });
  });

  test('insane fmt fields: codec, channels, rate, bits, block align, byte rate, fmt size; data before fmt; two fmt chunks', () => {
    const cases: [Buffer, RegExp][] = [
      [wav({ tag: 0x55 }), /audio format 0x0055/],
      [wav({ channels: 0 }), /0 channels/],
      [wav({ channels: 9 }), /9 channels/],
      [wav({ rate: 4_000_000 }), /sample rate 4000000/],
      [wav({ rate: 0 }), /sample rate 0/],
      [wav({ bits: 12 }), /12 bits per sample/],
      [wav({ tag: 6, bits: 16 }), /16 bits per sample for alaw/],
      [wav({ blockAlign: 7 }), /block align 7/],
      [wav({ byteRate: 1 }), /byte rate 1 /],
      [wav({ fmtSize: 8 }), /fmt chunk of 8 bytes/],
      [wav({ fmtSize: 0xfff0 }), /fmt chunk of 65520 bytes/],
      [wav({ tag: 0x31, bits: 0, blockAlign: 65, byteRate: 99, fmtSize: 20 }), /GSM block/],
    ];
    for (const [b, detail] of cases) expect(check(b), String(detail)).toMatchObject({ ok: false, reason: 'bad_audio_header', detail: expect.stringMatching(detail) });
    const dataFirst = Buffer.from('RIFF\x18\0\0\0WAVEdata\x04\0\0\0abcdfmt \0\0\0\0', 'latin1');
    expect(check(dataFirst)).toMatchObject({ ok: false, detail: 'data chunk before the fmt chunk' });
    const t = toneWav(0.1);
    const twice = Buffer.concat([t.subarray(0, 36), t.subarray(12, 36), t.subarray(36)]);
    twice.writeUInt32LE(twice.length - 8, 4);
    expect(check(twice)).toMatchObject({ ok: false, detail: 'two fmt chunks' });
  });
});

describe('checkDuration', () => {
  const audio = (durationSeconds: number): AudioInfo => ({ codec: 'pcm', channels: 1, sampleRate: 8000, bitsPerSample: 16, dataBytes: durationSeconds * 16000, durationSeconds, sizesFinal: true });
  const call = { startedAt: '2026-12-07T10:00:00.000Z', endedAt: '2026-12-07T10:01:00.000Z' };

  test('up to the call plus the margin passes; longer is quarantined with both durations', () => {
    expect(checkDuration(audio(60 + DURATION_MARGIN_SECONDS), call, Date.parse(call.endedAt)).ok).toBe(true);
    expect(checkDuration(audio(61 + DURATION_MARGIN_SECONDS), call, Date.parse(call.endedAt))).toEqual({
      ok: false,
      reason: 'longer_than_call',
      detail: `${(61 + DURATION_MARGIN_SECONDS).toFixed(1)} s of audio for a call of 60.0 s`,
    });
  });

  test('a call not ended yet is measured to now', () => {
    const open = { startedAt: call.startedAt, endedAt: null };
    const now = Date.parse(call.startedAt) + 10_000;
    expect(checkDuration(audio(40), open, now).ok).toBe(true);
    expect(checkDuration(audio(41), open, now)).toMatchObject({ ok: false, detail: '41.0 s of audio for a call of 10.0 s so far' });
  });
});

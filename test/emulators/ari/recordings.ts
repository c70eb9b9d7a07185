/** Stored recordings as Asterisk keeps them under its recording directory. */

export interface StoredRecording {
  readonly name: string;
  readonly format: string;
  readonly data: Buffer;
}

const SAMPLE_RATE = 8000;

/**
 * A 16-bit mono 8 kHz WAV holding a quiet 440 Hz tone, so a consumer checking that
 * "the file really holds sound" finds more than a header.
 */
export function toneWav(durationMs: number): Buffer {
  const samples = Math.max(0, Math.round((SAMPLE_RATE * durationMs) / 1000));
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(SAMPLE_RATE, 24);
  buf.writeUInt32LE(SAMPLE_RATE * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    buf.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE)), 44 + i * 2);
  }
  return buf;
}

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  wav: 'audio/wav',
  gsm: 'audio/gsm',
  ulaw: 'audio/basic',
  sln: 'audio/x-raw',
};

/**
 * WAV files shaped like MixMonitor's: 8 kHz, 16-bit, mono PCM. A call with no audio leaves only
 * the 44-byte header, which is what Asterisk leaves for a silent or early-hung-up call.
 */

export const WAV_HEADER_BYTES = 44;
const RATE = 8000;

export function wavHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/**
 * A 440 Hz tone of `seconds`, so "the file really holds sound" checks have something to find;
 * silent (zero samples) within `muted` spans (seconds from the start), as a muted MixMonitor writes.
 */
export function toneWav(seconds: number, muted: ReadonlyArray<{ from: number; to: number }> = []): Buffer {
  const samples = Math.max(0, Math.round(seconds * RATE));
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const t = i / RATE;
    if (muted.some((m) => t >= m.from && t < m.to)) continue;
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE)), i * 2);
  }
  return Buffer.concat([wavHeader(data.length), data]);
}

export function silentWav(): Buffer {
  return wavHeader(0);
}

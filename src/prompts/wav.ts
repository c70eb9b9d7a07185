// The WAV files Asterisk plays: the RIFF/WAVE header and the one format its ".wav" reader accepts.

export interface WavInfo {
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly dataBytes: number;
}

/** Reads a RIFF/WAVE header, walking the chunks as Asterisk's format_wav does. */
export function parseWavHeader(buf: Uint8Array): WavInfo {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: Omit<WavInfo, 'dataBytes'> | undefined;
  let off = 12;
  while (off + 8 <= b.length) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > b.length) throw new Error('truncated fmt chunk');
      fmt = {
        formatTag: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        sampleRate: b.readUInt32LE(body + 4),
        bitsPerSample: b.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      return { ...fmt, dataBytes: Math.min(size, b.length - body) };
    }
    off = body + size + (size % 2);
  }
  throw new Error(fmt ? 'no data chunk' : 'no fmt chunk');
}

/** Asterisk's ".wav" format: PCM, 8000 Hz, mono, 16-bit. Returns a problem or undefined. */
export function checkAsteriskWav(buf: Uint8Array): string | undefined {
  let w: WavInfo;
  try {
    w = parseWavHeader(buf);
  } catch (err) {
    return (err as Error).message;
  }
  if (w.formatTag !== 1 || w.channels !== 1 || w.sampleRate !== 8000 || w.bitsPerSample !== 16) {
    return (
      `is ${w.formatTag === 1 ? 'PCM' : `format ${w.formatTag}`} ${w.sampleRate} Hz, ${w.channels} channel(s), ${w.bitsPerSample}-bit; ` +
      'Asterisk needs PCM 8000 Hz mono 16-bit (sox in.wav -r 8000 -c 1 -b 16 -e signed-integer out.wav)'
    );
  }
  if (w.dataBytes === 0) return 'has no audio (empty data chunk)';
  return undefined;
}

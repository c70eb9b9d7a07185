/**
 * Loudness of 16-bit PCM WAV audio, for the pause tests: the samples after the RIFF chunks, the
 * RMS of a span, and the RMS of each window (a muted MixMonitor writes silence, i.e. zeros).
 */

/** The 16-bit little-endian samples of the `data` chunk (any chunks before it are skipped). */
export function readWavSamples(wav: Buffer): Int16Array {
  if (wav.subarray(0, 4).toString('ascii') !== 'RIFF' || wav.subarray(8, 12).toString('ascii') !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let at = 12;
  while (at + 8 <= wav.length) {
    const id = wav.subarray(at, at + 4).toString('ascii');
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ' && wav.readUInt16LE(at + 8 + 14) !== 16) throw new Error('not 16-bit PCM');
    if (id === 'data') {
      const end = Math.min(wav.length, at + 8 + size);
      const bytes = wav.subarray(at + 8, end - ((end - at - 8) % 2));
      return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** The WAV's sample rate (fmt chunk). */
export function wavRate(wav: Buffer): number {
  return wav.readUInt32LE(24);
}

export function rms(samples: Int16Array, from = 0, to = samples.length): number {
  const a = Math.max(0, from);
  const b = Math.min(samples.length, to);
  if (b <= a) return 0;
  let sum = 0;
  for (let i = a; i < b; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / (b - a));
}

/** RMS per window of `windowSamples`. */
export function windowRms(samples: Int16Array, windowSamples: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + windowSamples <= samples.length; i += windowSamples) out.push(rms(samples, i, i + windowSamples));
  return out;
}

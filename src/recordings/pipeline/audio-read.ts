import type { FileHandle } from 'node:fs/promises';
import { AUDIO_HEAD_BYTES, checkWavHeader, type AudioVerdict } from './audio-check.js';

/** Reads the head of an opened recording (by position: the handle's offset stays at 0) and checks it. */
export async function inspectRecording(handle: FileHandle, size: number, limits: { readonly maxBytes: number }): Promise<AudioVerdict> {
  const head = Buffer.alloc(Math.min(size, AUDIO_HEAD_BYTES));
  let filled = 0;
  while (filled < head.length) {
    const { bytesRead } = await handle.read(head, filled, head.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return checkWavHeader(head.subarray(0, filled), size, limits);
}

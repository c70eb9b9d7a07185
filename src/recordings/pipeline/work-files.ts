import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RecordingRow } from './row.js';

/** The work dir (under dataDir, 0700): a recording's ciphertext waiting for upload, and an ARI-fetched plaintext. */
export class WorkFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  ciphertextPath(id: string): string {
    return path.join(this.dir, `${id}.wav.enc`);
  }

  plaintextPath(id: string): string {
    return path.join(this.dir, `${id}.wav`);
  }

  async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async fsync(file: string): Promise<void> {
    const fh = await open(file, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** The ciphertext copy is there and is what the row recorded (hashed again unless `fresh`, i.e. after a restart). */
  async ciphertextIntact(row: RecordingRow, fresh: boolean): Promise<boolean> {
    const file = this.ciphertextPath(row.id);
    try {
      if ((await stat(file)).size !== row.ciphertext_bytes) return false;
    } catch {
      return false;
    }
    return fresh || (await hashFile(file)) === row.ciphertext_sha256;
  }

  async removeCiphertext(id: string): Promise<void> {
    await rm(this.ciphertextPath(id), { force: true });
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The bytes Asterisk wrote, read through the writer's own inode: the test opens the file as soon as
 * it appears (before the recording pipeline takes it) and keeps the descriptor. The pipeline reads
 * and deletes the file (it refuses one with a second hard link, so a link cannot be used); unlinking
 * leaves an open inode's data readable, so once the pipeline is done the handle still gives every
 * byte MixMonitor wrote, header included, and `nlink === 0` shows that it was this very file the
 * pipeline took and deleted.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class HeldFile {
  private constructor(
    readonly path: string,
    readonly fh: FileHandle,
  ) {}

  /** Opens `path` read-only as soon as it exists (polling every 5 ms), or fails after `timeoutMs`. */
  static async when(path: string, timeoutMs: number): Promise<HeldFile> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return new HeldFile(path, await open(path, 'r'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || Date.now() > deadline) {
          throw new Error(`could not hold ${path} within ${timeoutMs} ms: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  /** Links left to the inode (0 once the file was deleted). */
  async links(): Promise<number> {
    return (await this.fh.stat()).nlink;
  }

  /** Every byte of the inode now, from offset 0. */
  async bytes(): Promise<Buffer> {
    const { size } = await this.fh.stat();
    const buf = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await this.fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buf.subarray(0, at);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

import { parentPort } from 'node:worker_threads';
import { scanOneChunk, type ChainRows, type ScanReply, type ScanRequest } from './chain-scan-pool.js';

/**
 * The loop of a scan thread: chunks in, results out (the blocks' bytes transferred, not
 * copied), progress as it goes. The engine's worker module opens the connection and calls this.
 */
export function serveScanChunks(rows: ChainRows, close: () => Promise<void>): void {
  const port = parentPort;
  if (!port) throw new Error('serveScanChunks runs in a worker thread');
  const post = (m: ScanReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  port.on('message', (req: ScanRequest) => {
    if ('close' in req) {
      void close().finally(() => port.close());
      return;
    }
    scanOneChunk(req.chunk, rows, (checked) => post({ type: 'progress', checked })).then(
      (result) => post({ type: 'done', index: req.index, result }, [result.blocks.buffer as ArrayBuffer]),
      (err: unknown) => post({ type: 'error', index: req.index, message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

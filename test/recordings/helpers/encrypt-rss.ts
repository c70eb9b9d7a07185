// Child process for the memory test: encrypts a generated stream of N MiB to a discarding sink
// and reports the RSS before and the peak during. Run: node --import tsx encrypt-rss.ts <MiB> <keyFile>
import { Readable, Writable } from 'node:stream';
import { createRecordingEnvelope, createRecordingKeyring } from '../../../src/recordings/crypto/index.js';

const mib = Number(process.argv[2] ?? 200);
const keyFile = process.argv[3]!;
const env = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile }));

function source(bytes: number): Readable {
  const block = Buffer.alloc(256 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7919) & 0xff;
  let left = bytes;
  let n = 0;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const len = Math.min(block.length, left);
      const chunk = Buffer.from(block.subarray(0, len));
      chunk.writeUInt32LE(n++, 0); // vary the content a little
      left -= len;
      this.push(chunk);
    },
  });
}
const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

await env.encryptStream(source(8 * 1024 * 1024), sink(), { callId: 'warm-up' }); // JIT, pools
global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const r = await env.encryptStream(source(mib * 1024 * 1024), sink(), { callId: 'memory-test' });
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(JSON.stringify({ baseline, peak, growth: peak - baseline, plaintextBytes: r.plaintextBytes }) + '\n');

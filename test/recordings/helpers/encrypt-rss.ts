// Child process for the memory test: encrypts an N MiB file the way the recordings pipeline does
// (encryptOpenFile: the file by descriptor, the ciphertext into another file) and reports the RSS
// before and the peak during. Run: node --expose-gc --import tsx encrypt-rss.ts <MiB> <workDir>
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createRecordingEnvelope, createRecordingKeyring } from '../../../src/recordings/crypto/index.js';

const mib = Number(process.argv[2] ?? 200);
const dir = process.argv[3]!;
const env = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'k.key') }));

const source = join(dir, 'recording.wav');
const block = Buffer.alloc(1024 * 1024);
for (let i = 0; i < block.length; i++) block[i] = (i * 7919) & 0xff;
const out = await open(source, 'w');
for (let n = 0; n < mib; n++) {
  block.writeUInt32LE(n, 0); // vary the content a little
  await out.write(block);
}
await out.close();

async function encrypt(bytes: number) {
  const handle = await open(source);
  try {
    return await env.encryptOpenFile(handle, join(dir, 'recording.wav.enc'), { callId: 'memory-test', plaintextBytes: bytes });
  } finally {
    await handle.close();
  }
}

await encrypt(mib * 1024 * 1024); // JIT, pools, the read buffers
global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const r = await encrypt(mib * 1024 * 1024);
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(JSON.stringify({ baseline, peak, growth: peak - baseline, plaintextBytes: r.plaintextBytes }) + '\n');

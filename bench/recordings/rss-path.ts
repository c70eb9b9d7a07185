import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { PathMemory } from './children.js';
import { BATCH, DISTINCT_FILES, MB, RSS_IN_FLIGHT } from './conditions.js';
import { inFlight } from './measure.js';
import type { Uploads } from './uploads.js';

/** BENCH_RSS: one path alone while 1 GB passes at BENCH_RSS_IN_FLIGHT (2); prints its peak RSS growth as JSON. */
export async function rssOfOnePath(u: Uploads, path: PathMemory['path'], baseline: number): Promise<void> {
  const { files, store, s3, bucket, envelope, plainPut, encryptedPut, streamedPut } = u;
  const put = path === 'plain' ? plainPut : path === 'streamed' ? streamedPut : encryptedPut;
  let peak = baseline;
  const sampling = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const ids = Array.from({ length: Math.ceil(1e9 / files[0]!.bytes) }, (_, i) => i);
  for (let start = 0; start < ids.length; start += BATCH) {
    const keys: string[] = [];
    await inFlight(ids.slice(start, start + BATCH), RSS_IN_FLIGHT, async (i) => void keys.push(await put(i)));
    await store.delete(keys);
  }
  clearInterval(sampling);
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
  await store.close();
  await envelope.close();
  const bytes = ids.reduce((sum, i) => sum + files[i % DISTINCT_FILES]!.bytes, 0);
  const mem: PathMemory = { path, inFlight: RSS_IN_FLIGHT, peakRssGrowthMB: Math.round(((peak - baseline) / MB) * 10) / 10, bytesThroughMB: Math.round(bytes / MB) };
  process.stdout.write(JSON.stringify(mem) + '\n');
}

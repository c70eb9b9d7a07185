// The bench's conditions from the environment (see bench/recordings.ts for what each means).
import { fileURLToPath } from 'node:url';

export const N = Number(process.env.BENCH_N ?? 200);
export const BATCH = Math.max(1, Math.min(N, Number(process.env.BENCH_BATCH ?? 20)));
export const THREADS = Number(process.env.BENCH_THREADS ?? 1);
/** Set for the second process (main-thread encryption); it uses the first one's gateway. */
export const CHILD = process.env.BENCH_CHILD === '1';
/**
 * Set for a process that measures one path's memory alone (`encrypted`: the pipeline's default, two
 * uploads in flight with the encryption thread; `plain`: the baseline): in the main process the
 * plain PUTs' garbage and the encrypted path's share one heap and one peak.
 */
export const RSS_PATH = process.env.BENCH_RSS === 'encrypted' || process.env.BENCH_RSS === 'plain' || process.env.BENCH_RSS === 'streamed' ? process.env.BENCH_RSS : null;
/** Uploads in flight while one path's memory is measured (BENCH_RSS). */
export const RSS_IN_FLIGHT = Number(process.env.BENCH_RSS_IN_FLIGHT ?? 2);
/** Also measure encryption decoupled from the uploads at 2 and 4 in flight (see stagedRun). */
export const STAGED = process.env.BENCH_STAGED === '1';
export const VERIFY = process.env.BENCH_VERIFY === 'read-back' || process.env.BENCH_VERIFY === 'head' ? process.env.BENCH_VERIFY : 'none';
/** glibc allocator settings this process was started with (they change how often it page-faults). */
export const MALLOC_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_')));
export const MALLOC_LABEL = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || 'its defaults';
export const DISTINCT_FILES = 8;
export const SECONDS = 300;
export const PCM_BYTES = SECONDS * 8000 * 2; // 8 kHz, 16-bit, mono: 4.8 MB
export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const MB = 1e6;

export interface Rgw {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  pids?: Record<string, number>;
}

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

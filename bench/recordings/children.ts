import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, repo, type Rgw } from './conditions.js';

export interface ChildLevel {
  plainMBps: number;
  encryptedMBps: number;
  ratio: number;
}
export interface ChildFigures {
  serial: ChildLevel;
  inFlight2: ChildLevel;
  inFlight4: ChildLevel;
  nodeCpuMsPerMB: Record<string, number>;
  peakRssGrowthMB: number;
  load: { start: string; end: string };
}

/** Runs this script again with `env` added, on the same gateway; returns its last stdout line as JSON. */
export async function runChild<T>(rgw: Rgw, work: string, env: Record<string, string>): Promise<T> {
  const endpointFile = join(work, 'rgw-endpoint.json');
  writeFileSync(endpointFile, JSON.stringify(rgw));
  const child = spawn(process.execPath, [...process.execArgv, join(repo, 'bench', 'recordings.ts')], {
    env: { ...process.env, ...env, RGW_ENDPOINT_JSON: endpointFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench process (${JSON.stringify(env)}) exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** The same batches with encryption on the main thread, in a process of its own (see the header). */
export function runOnMainThread(rgw: Rgw, work: string): Promise<ChildFigures> {
  log('encrypting on the main thread: the same batches in a second process, with its own plain baseline');
  return runChild(rgw, work, { BENCH_THREADS: '0', BENCH_CHILD: '1' });
}

export interface PathMemory {
  path: 'encrypted' | 'plain' | 'streamed';
  inFlight: number;
  peakRssGrowthMB: number;
  bytesThroughMB: number;
}

/** One path's peak RSS growth while 1 GB passes, in a process of its own. */
export function memoryOfPath(rgw: Rgw, work: string, path: PathMemory['path'], inFlight = 2): Promise<PathMemory> {
  log(`peak RSS of the ${path} path alone: 1 GB at ${inFlight} in flight in a process of its own`);
  return runChild(rgw, work, { BENCH_RSS: path, BENCH_THREADS: '1', BENCH_RSS_IN_FLIGHT: String(inFlight) });
}

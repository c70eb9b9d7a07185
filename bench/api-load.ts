// The load client of bench:api in a process of its own, so that the client's HTTP parsing does
// not run on the event loop of the server it measures. Input: one JSON object on stdin
// ({ url, paths, headers, connections, seconds }; thousands of paths are too long for an
// environment variable: Linux caps one at 128 KiB, E2BIG); output: one JSON line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LoadSpec {
  readonly url: string;
  readonly paths: readonly string[];
  readonly headers: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
}

export interface LoadResult {
  readonly requestsPerSec: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Runs the client in a child process; the server stays on this process's event loop. */
export async function loadInChild(spec: LoadSpec): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, CONSENTLINE_BENCH_LOAD: 'stdin' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(spec));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load client exited ${code}: ${out}`);
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult;
  // A route answering 404 or 500 is fast and would make a meaningless baseline or figure.
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load on ${spec.url}${spec.paths[0]} …: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const name = 'autocannon';
  const autocannon = (await import(name)).default as (opts: unknown) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }>;
  let k = 0;
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    headers: spec.headers,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, path: spec.paths[k++ % spec.paths.length] }) }],
  });
  return { requestsPerSec: Math.round(r.requests.average), latencyP50: r.latency.p50, latencyP99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

if (process.env.CONSENTLINE_BENCH_LOAD === 'stdin' && process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  console.log(JSON.stringify(await run(JSON.parse(input) as LoadSpec)));
}

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside `callerUrl` (pass `import.meta.url`).
 * Built code runs the worker's .js directly. From TypeScript sources (tsx, vitest) the worker
 * thread first registers tsx's loader, then imports the .ts entry.
 */
export function startSiblingWorker(callerUrl: string, name: string, workerData: unknown, opts: Pick<WorkerOptions, 'resourceLimits'> = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData, ...opts });
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData, ...opts });
}

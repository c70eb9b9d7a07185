import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliIo, ProgressStream } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { dispatch } from '../../src/cli/dispatch.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader by its file URL: `--import tsx` would resolve from the child's cwd. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json').replace(/package\.json$/, 'dist/loader.mjs')).href;

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the dispatcher in-process with captured output (and progress drawn on `progressStream`, when given). */
export async function cli(
  argv: string[],
  env: Record<string, string | undefined> = {},
  now: () => number = () => 0,
  progressStream?: ProgressStream,
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, now, ...(progressStream ? { progressStream } : {}) };
  const code = await dispatch(argv, io, COMMANDS);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A terminal stand-in for the progress line: everything drawn, in order. */
export function fakeTty(isTTY = true): ProgressStream & { readonly text: () => string } {
  const chunks: string[] = [];
  return { isTTY, write: (c: string) => chunks.push(c), text: () => chunks.join('') };
}

export { MAIN as CLI_MAIN };

/** Runs `consentline …` as a child process, as an operator would. */
export function cliProcess(argv: string[], env: Record<string, string> = {}, cwd?: string): CliRun {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    ...(cwd ? { cwd } : {}),
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

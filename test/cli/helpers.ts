import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { dispatch } from '../../src/cli/dispatch.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the dispatcher in-process with captured output. */
export async function cli(argv: string[], env: Record<string, string | undefined> = {}, now: () => number = () => 0): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, now };
  const code = await dispatch(argv, io, COMMANDS);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Runs `consentline …` as a child process, as an operator would. */
export function cliProcess(argv: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

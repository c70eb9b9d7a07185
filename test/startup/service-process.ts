import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The service through its real entry point (`src/main.ts`), as `npm start` runs it, in a child process. */
export function startServiceProcess(env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, CONSENTLINE_CONFIG: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    raw.push(l);
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ notJson: l });
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, raw, exited, stderr: () => stderr };
}

/** Polls `predicate` every 50 ms until it holds; throws after `ms`. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

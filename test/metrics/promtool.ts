import { spawnSync } from 'node:child_process';

/**
 * Prometheus's own checker (Debian's `prometheus` package). Missing outside CI: the tests that
 * need it are skipped with one line saying so; in CI (CI=true) missing is a failure.
 */
function findPromtool(): string | null {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'promtool' : null;
}

export const promtool = findPromtool();
if (!promtool) {
  if (process.env.CI === 'true') throw new Error('promtool is not installed, and CI=true: install Debian package prometheus');
  console.warn('promtool not installed (apt-get install prometheus): the promtool checks are skipped');
}

export interface PromtoolResult {
  readonly status: number | null;
  /** stdout and stderr together: promtool reports lint problems on either. */
  readonly output: string;
}

export function runPromtool(args: readonly string[], stdin?: string): PromtoolResult {
  const r = spawnSync(promtool ?? 'promtool', args, { encoding: 'utf8', input: stdin ?? '', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** The metric family names a text exposition declares (`# TYPE name type`). */
export function declaredFamilies(exposition: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The value of one sample line, `name{labels} value`; labels given as written, e.g. `step="notice"`. */
export function sampleValue(exposition: string, name: string, labels = ''): number | null {
  const head = labels ? `${name}{${labels}` : name;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(head)) continue;
    const rest = line.slice(head.length);
    if (labels ? rest.startsWith('}') || rest.startsWith(',') : rest.startsWith(' ')) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

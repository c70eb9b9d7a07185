/**
 * Tests write only under their own temp dirs (issue 19.6). This guard lists the host's Asterisk
 * directories before the run and after it; a file that appeared, vanished or changed there fails
 * the run, naming it.
 */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const SYSTEM_DIRS = ['/var/spool/asterisk', '/etc/asterisk'] as const;

/** Path → size and mtime of everything under `roots` (absent roots list nothing). Bounded. */
export function snapshotDirs(roots: readonly string[], limit = 100_000): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string): void => {
    if (out.size >= limit) return;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    out.set(p, st.isDirectory() ? 'dir' : `${st.size}@${st.mtimeMs}`);
    if (!st.isDirectory()) return;
    for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  for (const r of roots) walk(r);
  return out;
}

/** What differs between two snapshots, one line per path. */
export function describeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const [p, v] of after) {
    if (!before.has(p)) lines.push(`created ${p}`);
    else if (before.get(p) !== v) lines.push(`changed ${p}`);
  }
  for (const p of before.keys()) if (!after.has(p)) lines.push(`removed ${p}`);
  return lines;
}

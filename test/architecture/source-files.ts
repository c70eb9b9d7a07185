import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const SOURCE_EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs|sh)$/;

/** Every source file under the given top-level folders, as repo-relative POSIX paths, sorted. */
export function sourceFiles(...folders: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (SOURCE_EXTENSIONS.test(entry.name)) out.push(relative(repoRoot, path).split(sep).join('/'));
    }
  };
  for (const folder of folders) walk(join(repoRoot, folder));
  return out.sort();
}

export function readSource(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

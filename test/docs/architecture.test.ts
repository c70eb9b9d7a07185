import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

/** Repository paths the document names in code spans: `src/…`, `test/…`, and the like; no globs. */
export function namedPaths(text: string): string[] {
  const spans = [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!);
  return [...new Set(spans.filter((s) => /^(src|test|bench|scripts|docs|migrations|asterisk|deploy)\/[\w./-]*$/.test(s)))];
}

describe('docs/architecture.md follows the code', () => {
  it('every path it names exists', () => {
    const paths = namedPaths(doc);
    expect(paths.length).toBeGreaterThan(40);
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });

  it('is short enough to read in one sitting, with one diagram', () => {
    expect(doc.split('\n').length).toBeLessThanOrEqual(200);
    expect(doc.match(/```mermaid/g)).toHaveLength(1);
  });

  it('the path check sees a path, and skips globs, routes and prose', () => {
    expect(namedPaths('`src/no/such.ts` and `src/server.ts`')).toEqual(['src/no/such.ts', 'src/server.ts']);
    expect(namedPaths('`main*.ts`, `/calls/:callId`, `src/evidence/{chain,merkle}.ts`, `calls`')).toEqual([]);
  });
});

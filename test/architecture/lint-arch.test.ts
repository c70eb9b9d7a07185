import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './source-files.js';

// `npm run lint:arch` is dependency-cruiser with .dependency-cruiser.cjs; each case below runs it
// over a tiny tree holding one deliberate violation, in a temp dir, with the repository's config.
const depcruise = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function lintArch(cwd: string) {
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs'], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A temp project with the repository's rules and the given files under it. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cl-lint-arch-'));
  dirs.push(dir);
  copyFileSync(join(repoRoot, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const tsconfig = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, types: ['node'] }, include: ['src'] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const clean = {
  'src/shared/clock.ts': 'export const now = () => Date.now();\n',
  'src/evidence/chain.ts': "import { createHash } from 'node:crypto';\nimport { now } from '../shared/clock.js';\nexport const h = () => createHash('sha256').update(String(now())).digest('hex');\n",
  'src/api/app.ts': "import { h } from '../evidence/chain.js';\nexport const app = () => h();\n",
  'src/server.ts': "import { app } from './api/app.js';\napp();\n",
};

describe('npm run lint:arch', { timeout: 120_000 }, () => {
  it('passes on the repository as it is', () => {
    const r = lintArch(repoRoot);
    expect(r.output).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('passes on a clean tiny tree (the cases below differ from it by one file)', () => {
    const r = lintArch(tree(clean));
    expect(r.output).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('fails on an import cycle', () => {
    const r = lintArch(
      tree({
        ...clean,
        'src/retention/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'src/retention/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      }),
    );
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/no-circular: src\/retention\/a\.ts/);
  });

  it('fails on an import from a lower layer up to a higher one', () => {
    const r = lintArch(tree({ ...clean, 'src/config/schema.ts': "import type { app } from '../api/app.js';\nexport type A = typeof app;\n" }));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/layer-1-imports-higher: src\/config\/schema\.ts → src\/api\/app\.ts/);
  });

  it('fails when a service imports the composition root', () => {
    const r = lintArch(tree({ ...clean, 'src/retention/service.ts': "import '../server.js';\n" }));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/composition-root-imported: src\/retention\/service\.ts → src\/server\.ts/);
  });

  it('lets the CLI take its stores from the engine choice, and from no other part of the root', () => {
    const engine = { 'src/db/engine.ts': "import { app } from '../api/app.js';\nexport const engineFor = () => app;\n" };
    const allowed = lintArch(tree({ ...clean, ...engine, 'src/cli/open-store.ts': "import { engineFor } from '../db/engine.js';\nengineFor();\n" }));
    expect(allowed.output).toContain('no dependency violations found');
    const refused = lintArch(tree({ ...clean, ...engine, 'src/cli/open-store.ts': "import '../server.js';\n" }));
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/cli-imports-only-engine-choice: src\/cli\/open-store\.ts → src\/server\.ts/);
    const fromService = lintArch(tree({ ...clean, ...engine, 'src/retention/service.ts': "import '../db/engine.js';\n" }));
    expect(fromService.status).not.toBe(0);
    expect(fromService.output).toMatch(/src\/retention\/service\.ts → src\/db\/engine\.ts/);
  });

  it('fails when pure domain code does I/O or imports an adapter', () => {
    const io = lintArch(tree({ ...clean, 'src/evidence/merkle.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n" }));
    expect(io.status).not.toBe(0);
    expect(io.output).toMatch(/domain-no-io: src\/evidence\/merkle\.ts → (node:)?fs\b/);

    const adapter = lintArch(
      tree({
        ...clean,
        'src/evidence/sqlite-store.ts': 'export const open = () => 1;\n',
        'src/evidence/receipt.ts': "import { open } from './sqlite-store.js';\nexport const r = open;\n",
      }),
    );
    expect(adapter.status).not.toBe(0);
    expect(adapter.output).toMatch(/domain-no-adapter: src\/evidence\/receipt\.ts → src\/evidence\/sqlite-store\.ts/);
  });
});

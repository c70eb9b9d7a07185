#!/usr/bin/env node
// The `consentline` command. It runs the compiled CLI when `npm run build` made dist/, and
// otherwise the TypeScript source through tsx (a dev dependency): `npx consentline` works in
// a clone right after `npm ci`, with no build step.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write('consentline: no dist/cli/main.js and no tsx to run the source: run `npm ci` (and `npm run build` for production)\n');
    process.exit(1);
  }
  tsx.register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}

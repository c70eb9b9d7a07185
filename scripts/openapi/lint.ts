import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOpenApi } from './spec.js';

/**
 * `npm run lint:openapi`: writes the API's OpenAPI document to a temp file and lints it with
 * Redocly's recommended rules; exits with redocly's status (1 on any error). `--out FILE`
 * keeps the document instead.
 */
const outArg = process.argv.indexOf('--out');
const dir = mkdtempSync(join(tmpdir(), 'consentline-openapi-'));
const file = outArg > 0 && process.argv[outArg + 1] ? process.argv[outArg + 1]! : join(dir, 'openapi.json');
try {
  writeFileSync(file, `${JSON.stringify(await generateOpenApi(), null, 2)}\n`);
  const lint = spawnSync('npx', ['--no-install', 'redocly', 'lint', '--extends', 'recommended', file], { stdio: 'inherit' });
  process.exitCode = lint.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

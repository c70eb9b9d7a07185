/**
 * `npm run docs:config`: rewrites the generated sections of docs/admin-guide.md.
 * `npm run docs:config -- --check`: exit 1 when they are out of date, changing nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { regenerateAdminGuide } from './config-reference.js';

const guide = fileURLToPath(new URL('../../docs/admin-guide.md', import.meta.url));
const current = readFileSync(guide, 'utf8');
const next = regenerateAdminGuide(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    process.stderr.write('docs/admin-guide.md: the generated reference sections are out of date; run npm run docs:config\n');
    process.exit(1);
  }
  process.stdout.write('docs/admin-guide.md: reference sections up to date\n');
} else if (next === current) {
  process.stdout.write('docs/admin-guide.md: reference sections already up to date\n');
} else {
  writeFileSync(guide, next);
  process.stdout.write('docs/admin-guide.md: reference sections regenerated\n');
}

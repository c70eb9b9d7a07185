import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PEPPER } from '../api/evidence-helpers.js';

/**
 * A consentline.yaml in `dir` for running the CLI on a test database (a SQLite file, or a
 * PostgreSQL URL): one flow, the given
 * recordings store and retention settings (YAML flow mappings). Returns its path.
 */
export function writeCliConfig(
  dir: string,
  o: { readonly dbPath?: string; readonly dbUrl?: string; readonly store: string; readonly retention: string; readonly instanceId?: string },
): string {
  const file = join(dir, 'consentline.yaml');
  writeFileSync(
    file,
    `service: { dataDir: ${JSON.stringify(dir)}${o.instanceId ? `, instanceId: ${o.instanceId}` : ''} }
database: { ${o.dbUrl ? `url: ${JSON.stringify(o.dbUrl)}` : `path: ${JSON.stringify(o.dbPath)}`} }
evidence: { pepper: ${JSON.stringify(PEPPER)} }
recordings: { store: ${o.store} }
retention: ${o.retention}
routes: { agents: { context: after, extension: agents }, fallback: { context: fb, extension: s } }
flows:
  - id: main
    default: true
    legalBasis: consent_by_conduct
    menu: { '1': { action: route, route: agents }, '8': { action: clause }, '9': { action: objection } }
    defaultRoute: agents
    fallbackRoute: fallback
`,
  );
  return file;
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes config files into one temp dir per test file: `file(text)` returns the path. */
export function configFiles(prefix: string): (text: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  return (text) => {
    const path = join(dir, `c${++n}.yaml`);
    writeFileSync(path, text);
    return path;
  };
}

/** A minimal valid config: two routes, one default flow with route, clause and objection keys. */
export const GOOD = `
routes:
  agents: { context: consentline-after, extension: agents }
  fallback: { context: consentline-fallback, extension: s }
flows:
  - id: hotline
    default: true
    legalBasis: consent_by_conduct
    menu:
      "1": { action: route, route: agents }
      "8": { action: clause }
      "9": { action: objection }
    defaultRoute: agents
    fallbackRoute: fallback
`;

/** A YAML alias bomb: 10^6 strings from a few hundred bytes. */
export const BOMB = `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
`;

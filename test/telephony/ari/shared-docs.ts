import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Asterisk 22.10.1 reference data kept in the repository (origin: test/fixtures/README.md). */
export const FIXTURES = path.resolve(repoRoot, 'test/fixtures');

export function fixtureDir(name: 'asterisk-transcripts' | 'ari-api-docs'): string {
  const dir = path.join(FIXTURES, name);
  if (!existsSync(dir)) throw new Error(`missing ${dir}: the Asterisk reference fixtures are part of the repository`);
  return dir;
}

export interface DocParam {
  readonly name: string;
  readonly paramType: string;
  readonly dataType: string;
  readonly required?: boolean;
  readonly allowMultiple?: boolean;
}

export interface DocOperation {
  readonly resource: string;
  readonly method: string;
  readonly path: string;
  readonly nickname: string;
  readonly responseClass: string;
  readonly params: readonly DocParam[];
}

export interface AriDocs {
  readonly listing: { apis: Array<{ path: string }> };
  readonly operations: readonly DocOperation[];
  /** Model id → property → type, across all API documents. */
  readonly models: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

interface RawDoc {
  apis: Array<{
    path: string;
    operations: Array<{ httpMethod: string; nickname: string; responseClass: string; parameters?: DocParam[] }>;
  }>;
  models?: Record<string, { properties: Record<string, { type: string }> }>;
}

/** Asterisk's own Swagger 1.1 definitions of ARI. */
export function loadAriDocs(): AriDocs {
  const dir = fixtureDir('ari-api-docs');
  const operations: DocOperation[] = [];
  const models = new Map<string, Record<string, string>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'resources.json')) {
    const doc = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as RawDoc;
    const resource = file.replace(/\.json$/, '');
    for (const api of doc.apis) {
      for (const o of api.operations) {
        operations.push({
          resource,
          method: o.httpMethod,
          path: api.path,
          nickname: o.nickname,
          responseClass: o.responseClass,
          params: o.parameters ?? [],
        });
      }
    }
    for (const [id, m] of Object.entries(doc.models ?? {})) {
      models.set(id, Object.fromEntries(Object.entries(m.properties).map(([k, v]) => [k, v.type])));
    }
  }
  const listing = JSON.parse(readFileSync(path.join(dir, 'resources.json'), 'utf8')) as AriDocs['listing'];
  return { listing, operations, models };
}

/** The documented operation a concrete request (`/channels/abc/play`) belongs to. */
export function findOperation(docs: AriDocs, method: string, concretePath: string): DocOperation | undefined {
  return docs.operations.find(
    (o) => o.method === method && new RegExp(`^${o.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(concretePath),
  );
}

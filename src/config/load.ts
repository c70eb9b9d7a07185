import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { BUILTIN_CONFIG } from './builtin.js';
import { crossCheck, formatPath, type ConfigProblem } from './cross-checks.js';
import { DEFAULTS } from './defaults.js';
import { ConfigSchema, type Config } from './schema.js';

export type ConfigSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'builtin' };

export type LoadResult =
  | { readonly ok: true; readonly config: Readonly<Config>; readonly source: ConfigSource }
  | { readonly ok: false; readonly source: ConfigSource; readonly problems: readonly string[] };

/** Environment variables that override the file: secrets and endpoints. */
export const ENV_OVERRIDES: ReadonlyArray<readonly [string, readonly string[], 'string' | 'int']> = [
  ['CONSENTLINE_ARI_URL', ['ari', 'url'], 'string'],
  ['CONSENTLINE_ARI_USERNAME', ['ari', 'username'], 'string'],
  ['CONSENTLINE_ARI_PASSWORD', ['ari', 'password'], 'string'],
  ['CONSENTLINE_ARI_APP', ['ari', 'app'], 'string'],
  ['CONSENTLINE_PEPPER', ['evidence', 'pepper'], 'string'],
  ['CONSENTLINE_DATA_DIR', ['service', 'dataDir'], 'string'],
  ['CONSENTLINE_DB', ['database', 'path'], 'string'],
  ['CONSENTLINE_API_HOST', ['api', 'host'], 'string'],
  ['CONSENTLINE_API_PORT', ['api', 'port'], 'int'],
  ['CONSENTLINE_PROMPTS_DIR', ['prompts', 'dir'], 'string'],
];

export function configPathFrom(env: NodeJS.ProcessEnv, explicit?: string): string {
  return explicit ?? env.CONSENTLINE_CONFIG ?? DEFAULTS.configFile;
}

/**
 * Reads, overrides from env, validates. Never throws for bad input: every problem comes
 * back as one line "path: message". A missing default file means the built-in config;
 * a missing file that was asked for by name is a problem.
 */
export function loadConfig(opts: { path?: string; env?: NodeJS.ProcessEnv } = {}): LoadResult {
  const env = opts.env ?? process.env;
  const path = configPathFrom(env, opts.path);
  const explicit = opts.path !== undefined || env.CONSENTLINE_CONFIG !== undefined;

  let raw: unknown;
  let source: ConfigSource;
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || explicit) {
      return { ok: false, source: { kind: 'file', path }, problems: [`${path}: cannot read (${code ?? 'error'})`] };
    }
  }
  if (text === undefined) {
    raw = structuredClone(BUILTIN_CONFIG);
    source = { kind: 'builtin' };
  } else {
    source = { kind: 'file', path };
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return { ok: false, source, problems: doc.errors.map((e) => `${path}: YAML: ${e.message.split('\n')[0]}`) };
    }
    raw = doc.toJS() ?? {};
  }

  const envProblems: string[] = [];
  raw = applyEnv(raw, env, envProblems);
  if (envProblems.length) return { ok: false, source, problems: envProblems };

  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, source, problems: parsed.error.issues.map(describeIssue) };
  const cross = crossCheck(parsed.data);
  if (cross.length) return { ok: false, source, problems: cross.map(describeProblem) };
  return { ok: true, config: deepFreeze(parsed.data), source };
}

function applyEnv(raw: unknown, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out = raw as Record<string, unknown>;
  for (const [name, path, type] of ENV_OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let typed: string | number = value;
    if (type === 'int') {
      typed = Number(value);
      if (!Number.isInteger(typed)) {
        problems.push(`${name}: must be an integer, got "${value}"`);
        continue;
      }
    }
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = typed;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  if (issue.code === 'invalid_key') message = `invalid key: ${issue.issues[0]?.message ?? message}`;
  return `${formatPath(issue.path)}: ${message}`;
}

function describeProblem(problem: ConfigProblem): string {
  return `${formatPath(problem.path)}: ${problem.message}`;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

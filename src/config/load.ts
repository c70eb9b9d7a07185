import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  ['CONSENTLINE_LOG_FORMAT', ['service', 'logFormat'], 'string'],
  ['CONSENTLINE_DB', ['database', 'path'], 'string'],
  ['CONSENTLINE_DATABASE_URL', ['database', 'url'], 'string'],
  ['CONSENTLINE_API_HOST', ['api', 'host'], 'string'],
  ['CONSENTLINE_API_PORT', ['api', 'port'], 'int'],
  ['CONSENTLINE_API_OPS_HOST', ['api', 'ops', 'host'], 'string'],
  ['CONSENTLINE_API_OPS_PORT', ['api', 'ops', 'port'], 'int'],
  ['CONSENTLINE_PROMPTS_DIR', ['prompts', 'dir'], 'string'],
  ['CONSENTLINE_AMI_SECRET', ['recordings', 'ami', 'secret'], 'string'],
];

/**
 * Secrets that systemd may hand over as credentials (`LoadCredential=NAME:…`): read from
 * `$CREDENTIALS_DIRECTORY/NAME` when neither the variable nor its `_FILE` twin is set.
 */
export const CREDENTIAL_FILES: Readonly<Record<string, string>> = {
  CONSENTLINE_ARI_PASSWORD: 'ari-password',
  CONSENTLINE_PEPPER: 'pepper',
  CONSENTLINE_AMI_SECRET: 'ami-secret',
  // A PostgreSQL URL may carry a password.
  CONSENTLINE_DATABASE_URL: 'database-url',
};

export function configPathFrom(env: NodeJS.ProcessEnv, explicit?: string): string {
  return explicit ?? (env.CONSENTLINE_CONFIG || DEFAULTS.configFile);
}

/**
 * Reads, overrides from env, validates. Never throws for bad input: every problem comes
 * back as one line "path: message". A missing default file means the built-in config;
 * a missing file that was asked for by name is a problem.
 */
export function loadConfig(opts: { path?: string; env?: NodeJS.ProcessEnv } = {}): LoadResult {
  const env = opts.env ?? process.env;
  const path = configPathFrom(env, opts.path);
  const explicit = opts.path !== undefined || Boolean(env.CONSENTLINE_CONFIG);

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
    const found = envValue(name, env, problems);
    if (found === undefined) continue;
    const { value, from } = found;
    let typed: string | number = value;
    if (type === 'int') {
      typed = Number(value);
      if (!Number.isInteger(typed)) {
        problems.push(`${from}: must be an integer, got "${value}"`);
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

/**
 * One override's value: `NAME`, else the trimmed content of the file `NAME_FILE` names
 * (Docker secrets, systemd `%d/…`), else for a secret systemd's `$CREDENTIALS_DIRECTORY/<name>`.
 * `from` names where it came from, for messages; problems never quote a file's content.
 */
function envValue(name: string, env: NodeJS.ProcessEnv, problems: string[]): { value: string; from: string } | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  const hasDirect = direct !== undefined && direct !== '';
  const hasFile = file !== undefined && file !== '';
  if (hasDirect && hasFile) {
    problems.push(`${name}: set both ${name} and ${name}_FILE; use one`);
    return undefined;
  }
  if (hasDirect) return { value: direct, from: name };
  if (hasFile) return readValueFile(`${name}_FILE`, file, problems, false);
  const credential = CREDENTIAL_FILES[name];
  const dir = env.CREDENTIALS_DIRECTORY;
  if (credential && dir) return readValueFile(`CREDENTIALS_DIRECTORY/${credential}`, join(dir, credential), problems, true);
  return undefined;
}

function readValueFile(
  from: string,
  path: string,
  problems: string[],
  optional: boolean,
): { value: string; from: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    // A credential that was not passed to the service is simply absent.
    if (!(optional && code === 'ENOENT')) problems.push(`${from}: cannot read ${path} (${code})`);
    return undefined;
  }
  const value = text.trim();
  if (value === '') {
    problems.push(`${from}: ${path} is empty`);
    return undefined;
  }
  return { value, from };
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

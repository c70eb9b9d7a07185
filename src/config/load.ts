import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_CONFIG } from './builtin.js';
import { crossCheck, formatPath, type ConfigProblem, type Loose } from './cross-checks.js';
import { DEFAULTS } from './defaults.js';
import { describeIssue } from './issues.js';
import { oversizedValues, pathProblems } from './limits.js';
import { ConfigSchema, type Config } from './schema.js';
import { salvage } from './schema-walk.js';
import { parseYaml, readConfigText } from './yaml-source.js';

/** The configuration the service runs with when no file is found (before the environment). */
export { BUILTIN_CONFIG };

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
 * Reads, overrides from env, validates. Never throws for bad input: every problem comes back as
 * one line "path: message" (what was expected, what was found), all of them in one round: the
 * checks across fields run on the valid parts of an invalid file too. A missing default file
 * means the built-in config; a missing file that was asked for by name is a problem.
 */
export function loadConfig(opts: { path?: string; env?: NodeJS.ProcessEnv } = {}): LoadResult {
  const env = opts.env ?? process.env;
  const path = configPathFrom(env, opts.path);
  const explicit = opts.path !== undefined || Boolean(env.CONSENTLINE_CONFIG);
  const fileSource: ConfigSource = { kind: 'file', path };
  try {
    const read = readConfigText(path);
    if (!read.ok && (read.code !== 'ENOENT' || explicit)) {
      return { ok: false, source: fileSource, problems: [`${path}: ${read.problem ?? `cannot read (${read.code})`}`] };
    }
    if (!read.ok) return validate(structuredClone(BUILTIN_CONFIG), { kind: 'builtin' }, env);
    const parsed = parseYaml(read.text, path);
    if (!parsed.ok) return { ok: false, source: fileSource, problems: parsed.problems };
    return validate(parsed.value, fileSource, env);
  } catch (err) {
    // A bug of ours, not the file's: still a configuration refusal (exit 78), never a stack trace.
    return { ok: false, source: fileSource, problems: [`${path}: cannot be loaded: ${(err as Error).message ?? String(err)}`] };
  }
}

function validate(document: unknown, source: ConfigSource, env: NodeJS.ProcessEnv): LoadResult {
  const envProblems: string[] = [];
  // A bad override is left out and reported with the file's own problems.
  const raw = applyEnv(document, env, envProblems);

  const oversized = oversizedValues(raw);
  const under = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) => prefix.every((key, i) => path[i] === key);
  const parsed = ConfigSchema.safeParse(raw);
  const valid = parsed.success ? parsed.data : (salvage(ConfigSchema, raw) ?? {});
  const schemaProblems = parsed.success
    ? []
    : parsed.error.issues
        // An over-long string is reported once, by its length.
        .filter((issue) => !oversized.some((p) => under(issue.path, p.path)))
        .map((issue) => describeIssue(issue, raw, ConfigSchema));
  const problems = [
    ...envProblems,
    ...oversized.map(describeProblem),
    ...schemaProblems,
    ...crossCheck(valid as Loose<Config>).map(describeProblem),
    ...pathProblems(valid).map(describeProblem),
  ];
  if (problems.length > 0 || !parsed.success) return { ok: false, source, problems: [...new Set(problems)] };
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

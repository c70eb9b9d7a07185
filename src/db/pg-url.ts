/** Where the evidence database lives, from `database.url` / `database.path`. */
export type DatabaseTarget =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export type ParsedDatabaseUrl = { readonly ok: true; readonly target: DatabaseTarget } | { readonly ok: false; readonly problem: string };

/**
 * Parses a database URL: `sqlite:PATH` (relative or absolute file path, `sqlite::memory:`
 * excluded: evidence must be durable) or `postgres://…` / `postgresql://…` (libpq URL with
 * a host and a database name). Pure: used by the config schema and the CLI alike.
 */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) return { ok: false, problem: 'sqlite: needs a file path, e.g. sqlite:./data/consentline.sqlite' };
    if (path === ':memory:') return { ok: false, problem: 'sqlite::memory: is not durable; give a file path' };
    return { ok: true, target: { kind: 'sqlite', path } };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, problem: 'is not a valid postgres:// URL' };
    }
    if (!parsed.hostname && !parsed.searchParams.get('host')) return { ok: false, problem: 'postgres URL needs a host' };
    if (parsed.pathname.replace(/^\//, '') === '') return { ok: false, problem: 'postgres URL needs a database name, e.g. postgres://user@host:5432/consentline' };
    return { ok: true, target: { kind: 'postgres', url } };
  }
  return { ok: false, problem: 'must start with sqlite: or postgres://' };
}

/** The URL with any password replaced, for logs and progress lines. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** The SQLite file a target names, or undefined for PostgreSQL. */
export function sqliteFileOf(target: DatabaseTarget): string | undefined {
  return target.kind === 'sqlite' ? target.path : undefined;
}

/** The PostgreSQL URL a target names, or undefined for a SQLite file. */
export function postgresUrlOf(target: DatabaseTarget): string | undefined {
  return target.kind === 'postgres' ? target.url : undefined;
}

/** The target with a relative SQLite path resolved by `resolvePath` (e.g. against the working directory). */
export function withResolvedPath(target: DatabaseTarget, resolvePath: (path: string) => string): DatabaseTarget {
  return target.kind === 'sqlite' ? { kind: 'sqlite', path: resolvePath(target.path) } : target;
}

/** The target for logs: the file path, or the URL without its password. */
export function describeDatabaseTarget(target: DatabaseTarget): string {
  return target.kind === 'sqlite' ? target.path : redactDatabaseUrl(target.url);
}

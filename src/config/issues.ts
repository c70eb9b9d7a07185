import type { z } from 'zod';
import { formatPath } from './cross-checks.js';
import { isPlainObject, knownKeys, numberExpectation, schemaAt } from './schema-walk.js';

/** Keys whose values are secrets: a problem with them says what kind of value was found, never the value. */
const SECRET_KEYS = new Set(['password', 'pepper', 'secret']);

export function isSecretPath(path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1];
  // A database URL may carry a password.
  return (typeof last === 'string' && SECRET_KEYS.has(last)) || (path[0] === 'database' && last === 'url');
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** How an administrator would name what the file holds: `string "abc"`, `Infinity`, `a list of 3 item(s)`. */
export function describeFound(value: unknown, secret = false): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value (null)';
  if (secret) return `${kindOf(value)} (not shown: a secret)`;
  if (typeof value === 'string') return value.length > 60 ? `a string of ${value.length} characters` : `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return kindOf(value);
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return `a list of ${value.length} item(s)`;
  if (isPlainObject(value)) return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'true or false';
  return typeof value;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/**
 * One schema issue as `path: expected X, found Y`, reading the value from the file (zod 4 leaves
 * `issue.input` out unless asked) and the bounds from the schema.
 */
export function describeIssue(issue: z.core.$ZodIssue, root: unknown, schema: z.ZodType): string {
  const path = issue.path;
  const where = formatPath(path);
  const value = valueAt(root, path);
  const found = describeFound(value, isSecretPath(path));
  const field = () => schemaAt(schema, path, root);
  switch (issue.code) {
    case 'invalid_type': {
      const expected =
        issue.expected === 'number' || issue.expected === 'int'
          ? (numberExpectation(field()) ?? 'a number')
          : (TYPE_NAMES[issue.expected] ?? issue.expected);
      return value === undefined ? `${where}: is required: expected ${expected}, found nothing` : `${where}: expected ${expected}, found ${found}`;
    }
    case 'too_big':
    case 'too_small': {
      const expected = issue.origin === 'number' ? numberExpectation(field()) : sizeExpectation(issue);
      return `${where}: expected ${expected ?? issue.message}, found ${found}`;
    }
    case 'invalid_value': {
      const choices = issue.values.map((v) => String(v)).join(', ');
      const expected = issue.values.length === 1 ? choices : `one of ${choices}`;
      return value === undefined ? `${where}: is required: expected ${expected}, found nothing` : `${where}: expected ${expected}, found ${found}`;
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown }).options;
      if (Array.isArray(options)) {
        const expected = `one of ${options.map(String).join(', ')}`;
        return value === undefined ? `${where}: is required: expected ${expected}, found nothing` : `${where}: expected ${expected}, found ${found}`;
      }
      return `${where}: ${issue.message}, found ${found}`;
    }
    case 'invalid_format': {
      if (issue.format === 'url') return `${where}: expected a URL, found ${found}`;
      // Our own messages ("must be a language code…") say what is expected.
      const expected = issue.message.startsWith('Invalid') ? `expected a ${issue.format}` : issue.message;
      return `${where}: ${expected}, found ${found}`;
    }
    case 'unrecognized_keys': {
      const allowed = knownKeys(field());
      return `${where}: unknown key(s): ${issue.keys.join(', ')}${allowed ? ` (expected one of: ${allowed.join(', ')})` : ''}`;
    }
    case 'invalid_key':
      return `${where}: invalid key: ${issue.issues[0]?.message ?? issue.message}, found ${JSON.stringify(String(path[path.length - 1]))}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function sizeExpectation(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string | undefined {
  const unit = issue.origin === 'string' ? 'character(s)' : issue.origin === 'array' || issue.origin === 'set' ? 'item(s)' : undefined;
  if (!unit) return undefined;
  const limit = issue.code === 'too_big' ? issue.maximum : issue.minimum;
  return `${issue.code === 'too_big' ? 'at most' : 'at least'} ${String(limit)} ${unit}`;
}

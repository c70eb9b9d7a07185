import { isAbsolute, normalize, resolve } from 'node:path';
import type { ConfigProblem } from './cross-checks.js';
import { isPlainObject } from './schema-walk.js';

/** No setting needs more: the longest are paths (PATH_MAX is 4096) and URLs. */
export const MAX_STRING_LENGTH = 4096;
const MAX_DEPTH = 32;

/** Strings over MAX_STRING_LENGTH anywhere in the file, and nesting no settings file needs. */
export function oversizedValues(root: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === 'string' && value.length > MAX_STRING_LENGTH) {
      problems.push({ path, message: `expected at most ${MAX_STRING_LENGTH} characters, found a string of ${value.length} characters` });
    } else if (path.length >= MAX_DEPTH && (Array.isArray(value) || isPlainObject(value))) {
      problems.push({ path, message: `expected at most ${MAX_DEPTH} levels of nesting, found more` });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, i]));
    } else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(root, []);
  return problems;
}

/** Local files and directories ConsentLine itself reads and writes. */
const LOCAL_PATHS: readonly (readonly string[])[] = [
  ['service', 'dataDir'],
  ['database', 'path'],
  ['evidence', 'checkpointKeyFile'],
  ['prompts', 'dir'],
  ['recordings', 'spoolDir'],
  ['recordings', 'store', 'dir'],
  ['recordings', 'keys', 'keyFile'],
  ['recordings', 'keys', 'publicKeyFile'],
  ['recordings', 'keys', 'privateKeyFile'],
];

/**
 * Relative paths are taken from the working directory and must stay inside it: `../../..` as a
 * data directory is a typo or an attempt to write elsewhere. A directory outside is given as an
 * absolute path. The data directory is never the filesystem root (retention deletes under it).
 */
export function pathProblems(config: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const check = (path: readonly string[], value: unknown) => {
    if (typeof value !== 'string' || value === '') return;
    const found = JSON.stringify(value);
    if (value.includes('\0')) {
      problems.push({ path, message: 'expected a path, found one with a NUL character' });
    } else if (!isAbsolute(value) && (normalize(value) === '..' || normalize(value).startsWith('../'))) {
      problems.push({ path, message: `expected an absolute path or a relative one inside the working directory, found ${found} (climbs out of it)` });
    } else if (path.join('.') === 'service.dataDir' && resolve(value) === resolve('/')) {
      problems.push({ path, message: `expected a directory of its own, found ${found} (the filesystem root)` });
    }
  };
  for (const path of LOCAL_PATHS) check(path, at(config, path));
  const url = at(config, ['database', 'url']);
  // A sqlite: URL carries no password; a postgres:// one is not a local path.
  if (typeof url === 'string' && url.startsWith('sqlite:')) check(['database', 'url'], url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''));
  return problems;
}

function at(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const key of path) current = isPlainObject(current) ? current[key] : undefined;
  return current;
}

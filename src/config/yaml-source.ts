import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseDocument, type YAMLError } from 'yaml';

/** A configuration file is a page of settings; anything larger is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Anchors and aliases are legal YAML; a settings file needs a handful, an alias bomb needs thousands. */
const MAX_ALIAS_COUNT = 100;

export type TextRead = { ok: true; text: string } | { ok: false; code: string; problem?: string };

/** Reads at most MAX_CONFIG_BYTES (+1 to notice more): a huge file is refused without reading it all. */
export function readConfigText(path: string): TextRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { ok: false, code: (err as NodeJS.ErrnoException).code ?? 'error' };
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_CONFIG_BYTES) {
      return { ok: false, code: 'E2BIG', problem: `the file is ${size} bytes; a configuration file may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)` };
    }
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (let got = -1; got !== 0 && length < buffer.length; length += got) got = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_CONFIG_BYTES) return { ok: false, code: 'E2BIG', problem: `the file is over ${MAX_CONFIG_BYTES} bytes (1 MiB), the most a configuration file may be` };
    return { ok: true, text: buffer.toString('utf8', 0, length) };
  } catch (err) {
    return { ok: false, code: (err as NodeJS.ErrnoException).code ?? 'error' };
  } finally {
    closeSync(fd);
  }
}

export type YamlParse = { ok: true; value: unknown } | { ok: false; problems: string[] };

/**
 * Parses YAML into plain data. Never throws: syntax errors come back one line each as
 * `file:line:col: YAML: message`, alias trouble (an alias bomb, an unknown anchor) as `file: YAML: …`.
 */
export function parseYaml(text: string, file: string): YamlParse {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, problems: firstOfEach(doc.errors, file) };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {} };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/excessive alias count/i.test(message)) {
      return { ok: false, problems: [`${file}: YAML: too many alias references (more than ${MAX_ALIAS_COUNT} expansions): an alias bomb, or a file that needs writing out`] };
    }
    return { ok: false, problems: [`${file}: YAML: ${firstLine(message)}`] };
  }
}

/** One line per distinct message (a deep or broken structure repeats one error per level), at most 20. */
function firstOfEach(errors: readonly YAMLError[], file: string): string[] {
  const byMessage = new Map<string, string>();
  for (const error of errors) {
    const line = describeYamlError(error, file);
    const message = line.slice(line.indexOf(': YAML: '));
    if (!byMessage.has(message)) byMessage.set(message, line);
  }
  const lines = [...byMessage.values()];
  return lines.length > 20 ? [...lines.slice(0, 20), `${file}: YAML: ${lines.length - 20} more errors`] : lines;
}

function describeYamlError(error: YAMLError, file: string): string {
  const at = error.linePos?.[0];
  const where = at ? `${file}:${at.line}:${at.col}` : file;
  // prettyErrors appends " at line L, column C:" and a code excerpt: the position is already in `where`.
  let message = firstLine(error.message).replace(/ at line \d+, column \d+:?\s*$/, '');
  if (/call stack/i.test(message)) message = 'nested too deeply to read (a settings file needs a few levels)';
  return `${where}: YAML: ${message}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/[\s:]+$/, '');
}

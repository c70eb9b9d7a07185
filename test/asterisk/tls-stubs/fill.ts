import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const HERE = import.meta.dirname;

/** The stub `name` with its `@KEY@` placeholders filled; an unfilled one fails loudly. */
export async function filledStub(name: string, values: Record<string, string | number>): Promise<string> {
  let text = await readFile(join(HERE, name), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`@${k}@`, String(v));
  const left = /@[A-Z_]+@/.exec(text);
  if (left) throw new Error(`test/asterisk/tls-stubs/${name}: ${left[0]} not filled`);
  return text;
}

/** Appends a filled stub to the config Asterisk will load (after the shipped file the harness wrote). */
export async function appendStub(etc: string, target: string, name: string, values: Record<string, string | number>): Promise<void> {
  await appendFile(join(etc, target), `\n${await filledStub(name, values)}`);
}

export async function writeStub(etc: string, name: string, values: Record<string, string | number>): Promise<void> {
  await writeFile(join(etc, name), await filledStub(name, values));
}

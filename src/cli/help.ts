import { readFileSync } from 'node:fs';
import type { Command } from './command.js';

const EXIT_CODES = 'exit codes: 0 ok, 1 failed (verification, not found, operation), 2 usage, 78 configuration';

/** The version in package.json (beside src/ and dist/ alike). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Command groups: the first word of every command that has several (`ledger`, `token`, …). */
export function groupOf(word: string | undefined, commands: readonly Command[]): Command[] {
  if (word === undefined) return [];
  return commands.filter((c) => c.name.includes(' ') && c.name.split(' ')[0] === word);
}

/** The first line of a summary, for lists. */
const oneLine = (summary: string): string => summary.split('\n')[0]!;

export function generalHelp(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: consentline <command> [options]',
    '       consentline help <command or group>   consentline <command or group> --help   consentline --version',
    '',
    'commands:',
    ...commands.flatMap((c) => [`  ${c.name.padEnd(width)}  ${oneLine(c.summary)}`, `  ${''.padEnd(width)}  ${c.usage}`]),
    '',
    EXIT_CODES,
  ];
}

export function groupHelp(group: string, members: readonly Command[]): string[] {
  const width = Math.max(...members.map((c) => c.name.length - group.length - 1));
  return [
    `usage: consentline ${group} <command> [options]`,
    '',
    'commands:',
    ...members.flatMap((c) => [`  ${c.name.slice(group.length + 1).padEnd(width)}  ${oneLine(c.summary)}`, `  ${''.padEnd(width)}  ${c.usage}`]),
    '',
    `consentline ${group} <command> --help: one command's help`,
  ];
}

export function commandHelp(command: Command): string[] {
  return [`usage: ${command.usage}`, '', command.summary, '', EXIT_CODES];
}

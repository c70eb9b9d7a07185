import { ConfigError, EXIT, UsageError, type CliIo, type Command, type ExitCode } from './command.js';
import { cliVersion, commandHelp, generalHelp, groupHelp, groupOf } from './help.js';

/** Finds the command whose name's words begin `argv`, the longest name winning. */
export function findCommand(argv: readonly string[], commands: readonly Command[]): { command: Command; args: string[] } | null {
  let best: { command: Command; args: string[] } | null = null;
  let bestWords = 0;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.length > bestWords && words.every((w, i) => argv[i] === w)) {
      best = { command, args: argv.slice(words.length) };
      bestWords = words.length;
    }
  }
  return best;
}

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

function hasCode(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** `help [words…]`: the command's, the group's or the general help; exit 2 for a name that is neither. */
function helpFor(words: readonly string[], io: CliIo, commands: readonly Command[]): ExitCode {
  const found = findCommand(words, commands);
  if (found && found.args.length === 0) return print(io.out, commandHelp(found.command), EXIT.ok);
  const members = groupOf(words[0], commands);
  if (words.length === 1 && members.length) return print(io.out, groupHelp(words[0]!, members), EXIT.ok);
  if (words.length === 0) return print(io.out, generalHelp(commands), EXIT.ok);
  io.err(`unknown command: ${words.join(' ')}`);
  return print(io.err, members.length ? groupHelp(words[0]!, members) : generalHelp(commands), EXIT.usage);
}

function print(to: (line: string) => void, lines: readonly string[], code: ExitCode): ExitCode {
  for (const line of lines) to(line);
  return code;
}

/** Runs the command `argv` names; turns known errors into a one-line message and an exit code. */
export async function dispatch(argv: readonly string[], io: CliIo, commands: readonly Command[]): Promise<ExitCode> {
  if (argv.length === 0) return print(io.err, generalHelp(commands), EXIT.usage);
  if (argv[0] === '--version') {
    io.out(`consentline ${cliVersion()}`);
    return EXIT.ok;
  }
  if (argv[0] === 'help' || isHelp(argv[0])) return helpFor(argv.slice(1), io, commands);
  const found = findCommand(argv, commands);
  if (!found) {
    const members = groupOf(argv[0], commands);
    if (members.length && argv.length === 1) return print(io.err, groupHelp(argv[0]!, members), EXIT.usage);
    if (members.length && argv.slice(1).some(isHelp) && argv[1]?.startsWith('-')) return print(io.out, groupHelp(argv[0]!, members), EXIT.ok);
    return helpFor(argv.filter((a) => !isHelp(a)), io, commands);
  }
  if (found.args.some(isHelp)) return print(io.out, commandHelp(found.command), EXIT.ok);
  try {
    return await found.command.run(found.args, io);
  } catch (err) {
    if (err instanceof UsageError || (hasCode(err) && err.code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`${(err as Error).message}\nusage: ${found.command.usage}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      for (const problem of err.problems) io.err(`  - ${problem}`);
      return EXIT.config;
    }
    if (hasCode(err) && /^[A-Z][A-Z0-9_]+$/.test(err.code)) {
      io.err(`error ${err.code}: ${err.message}`);
      return EXIT.failed;
    }
    throw err;
  }
}

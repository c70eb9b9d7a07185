import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from './command.js';

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

function help(commands: readonly Command[], io: CliIo, print: (line: string) => void = io.out): void {
  print('usage: consentline <command> [options]');
  print('');
  for (const c of commands) print(`  ${c.usage}\n      ${c.summary}`);
}

function hasCode(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Runs the command `argv` names; turns known errors into a one-line message and an exit code. */
export async function dispatch(argv: readonly string[], io: CliIo, commands: readonly Command[]): Promise<ExitCode> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    help(commands, io);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv, commands);
  if (!found) {
    io.err(`unknown command: ${argv.join(' ')}`);
    help(commands, io, io.err);
    return EXIT.usage;
  }
  if (found.args.includes('--help') || found.args.includes('-h')) {
    io.out(`usage: ${found.command.usage}`);
    return EXIT.ok;
  }
  try {
    return await found.command.run(found.args, io);
  } catch (err) {
    if (err instanceof UsageError || (hasCode(err) && err.code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`${(err as Error).message}\nusage: ${found.command.usage}`);
      return EXIT.usage;
    }
    if (hasCode(err) && /^[A-Z][A-Z0-9_]+$/.test(err.code)) {
      io.err(`error ${err.code}: ${err.message}`);
      return EXIT.error;
    }
    throw err;
  }
}

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** The command ran and found a problem (a broken chain, an unknown call). */
  failed: 1,
  usage: 2,
  /** Infrastructure: the database could not be opened, a migration changed… */
  error: 3,
  /** EX_CONFIG (sysexits.h): the configuration is wrong. */
  config: 78,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds, for progress pacing. */
  readonly now: () => number;
}

/**
 * One `consentline <name…>` command. `name` may have several words (`ledger verify`);
 * `run` gets the arguments after them and returns the exit code; it throws only for
 * {@link UsageError} and broken infrastructure.
 */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<ExitCode>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'CLI_USAGE';
}

/** Parses a `--from`-style option as a positive integer, or undefined when absent. */
export function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${option} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

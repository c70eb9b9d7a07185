/** Exit codes shared by every command (the sysexits convention for usage and configuration). */
export const EXIT = {
  ok: 0,
  /** Verification failed, something was not found, or the operation failed (a database that cannot be opened too). */
  failed: 1,
  /** Unknown command or option, a missing or malformed argument. */
  usage: 2,
  /** The configuration (file, environment, keys it names) is not valid: EX_CONFIG. */
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
  /** Where a progress line is drawn (stderr in a terminal); absent: no progress is shown. */
  readonly progressStream?: ProgressStream;
}

/** The part of a terminal stream the progress reporter needs. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
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

/** The configuration cannot be used: exit 78 with every problem listed, one a line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CLI_CONFIG';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Parses a `--from`-style option as a positive integer, or undefined when absent. */
export function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${option} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

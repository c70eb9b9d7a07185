import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths pino censors wherever they appear. Caller numbers and secrets never reach the log:
 * code logs masked numbers only, and this list catches the rest.
 */
export const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  'pepper',
  'apiKey',
  'authorization',
  'callerNumber',
  'e164',
  '*.password',
  '*.secret',
  '*.token',
  '*.pepper',
  '*.apiKey',
  '*.authorization',
  '*.callerNumber',
  '*.e164',
  'req.headers.authorization',
];

export function createLogger(
  opts: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: opts.name ?? 'consentline',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}

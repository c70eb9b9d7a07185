import { pino, type Logger, type DestinationStream } from 'pino';
import { prettyStream, resolveLogFormat, type LogFormat } from './log-pretty.js';

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

/**
 * The service's logger. Without a destination it writes to stdout, pretty on a terminal and
 * JSON otherwise (`format`, `CONSENTLINE_LOG_FORMAT`); with one, JSON unless `format` says pretty.
 */
export function createLogger(
  opts: { level?: string; name?: string; format?: LogFormat } = {},
  destination?: DestinationStream,
): Logger {
  const format = resolveLogFormat(opts.format, destination ? {} : process.env, destination ? false : Boolean(process.stdout.isTTY));
  const out = format === 'pretty' ? prettyStream((destination as NodeJS.WritableStream | undefined) ?? process.stdout, !destination && Boolean(process.stdout.isTTY)) : destination;
  return pino(
    {
      name: opts.name ?? 'consentline',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    out,
  );
}

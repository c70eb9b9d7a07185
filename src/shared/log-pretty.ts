import { Writable } from 'node:stream';

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The format the log is written in: `CONSENTLINE_LOG_FORMAT` over the configured one; `auto`
 * is pretty on a terminal and JSON otherwise (a file, a pipe, journald), as pino users expect.
 */
export function resolveLogFormat(configured: LogFormat | undefined, env: NodeJS.ProcessEnv, isTTY: boolean): 'json' | 'pretty' {
  const fromEnv = env.CONSENTLINE_LOG_FORMAT;
  const chosen = fromEnv !== undefined && (LOG_FORMATS as readonly string[]).includes(fromEnv) ? (fromEnv as LogFormat) : (configured ?? 'auto');
  if (chosen === 'auto') return isTTY ? 'pretty' : 'json';
  return chosen;
}

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '90'],
  20: ['DEBUG', '36'],
  30: ['INFO ', '32'],
  40: ['WARN ', '33'],
  50: ['ERROR', '31'],
  60: ['FATAL', '35'],
};
// pino's own fields, shown in the line's head or not at all.
const HEAD = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v', 'err']);

/**
 * One pino JSON line as a human reads it: `12:00:01.234 INFO  message  key=value …`, an error's
 * stack on the lines below. Works on what pino already serialised, so redaction has happened.
 */
export function prettyLine(json: string, colour: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const [label, code] = LEVELS[Number(o.level)] ?? [String(o.level).toUpperCase().padEnd(5), '0'];
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const fields = Object.entries(o)
    .filter(([k]) => !HEAD.has(k))
    .map(([k, v]) => `${paint('2', `${k}=`)}${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  const err = o.err as { message?: string; stack?: string } | undefined;
  const tail = err ? `\n    ${(err.stack ?? err.message ?? JSON.stringify(err)).split('\n').join('\n    ')}` : '';
  return `${paint('2', time)} ${paint(code, label)} ${String(o.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}${tail}`;
}

/** A pino destination that writes each line pretty to `out`. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }, colour = Boolean(out.isTTY)): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) out.write(`${prettyLine(line, colour)}\n`);
      done();
    },
  });
}

import type { CliIo } from './command.js';

/** Redraws at most this often: a few times a second is enough for a human and costs nothing. */
export const PROGRESS_INTERVAL_MS = 250;

export interface ProgressOptions {
  /** What is being done: `verifying`, `events`, `recordings`… */
  readonly label: string;
  /** How many there are, when known (rate and ETA need it). */
  readonly total?: number;
  /** `--json` was given: the output is for a program, nothing else goes to the terminal. */
  readonly json?: boolean;
}

export interface Progress {
  /** `done` so far (and a `total` learnt late); drawn at once the first time, then when the last draw is old enough. */
  update(done: number, total?: number): void;
  /** Ends the line with the final count, when anything was drawn. */
  finish(): void;
  readonly enabled: boolean;
}

/**
 * One progress line on stderr, redrawn in place with `\r`: done/total, the rate and the ETA.
 * Shown only on a terminal (or with CONSENTLINE_PROGRESS=1), never with --json or
 * CONSENTLINE_PROGRESS=0, so pipes and logs stay clean.
 */
export function progressReporter(io: Pick<CliIo, 'env' | 'now' | 'progressStream'>, opts: ProgressOptions): Progress {
  const stream = io.progressStream;
  const forced = io.env.CONSENTLINE_PROGRESS;
  const enabled = stream !== undefined && opts.json !== true && forced !== '0' && (forced === '1' || stream.isTTY === true);
  const started = io.now();
  let total = opts.total;
  let done = 0;
  let drawnAt = -Infinity;
  let drawnWidth = 0;
  let drawn = false;
  let finished = false;

  const draw = (now: number, final: boolean) => {
    const line = progressLine(opts.label, done, total, now - started, final);
    stream!.write(`\r${line.padEnd(drawnWidth)}${final ? '\n' : ''}`);
    drawnWidth = line.length;
    drawnAt = now;
    drawn = true;
  };

  return {
    enabled,
    update(n, t) {
      done = n;
      if (t !== undefined) total = t;
      if (!enabled || finished) return;
      const now = io.now();
      if (now - drawnAt >= PROGRESS_INTERVAL_MS) draw(now, false);
    },
    finish() {
      if (enabled && drawn && !finished) draw(io.now(), true);
      finished = true;
    },
  };
}

/** `label 1,200/5,000 (24%)  400/s  ETA 9s`; the final line says how long it took instead. */
export function progressLine(label: string, done: number, total: number | undefined, elapsedMs: number, final = false): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  const known = total !== undefined && total > 0 && done <= total;
  const parts = [`${label} ${count(done)}${known ? `/${count(total)} (${Math.floor((done / total) * 100)}%)` : ''}`];
  if (rate > 0) parts.push(`${count(Math.round(rate))}/s`);
  if (final) parts.push(`in ${duration(seconds)}`);
  else if (known && rate > 0) parts.push(`ETA ${duration((total - done) / rate)}`);
  return parts.join('  ');
}

const count = (n: number): string => n.toLocaleString('en-US');

/** `42s`, `3m05s`, `2h07m`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

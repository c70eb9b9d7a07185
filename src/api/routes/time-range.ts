import { z } from 'zod';

/**
 * The one vocabulary of the API's ranges:
 *  - time: `from` / `to` on every route, each a day (`YYYY-MM-DD`, UTC) or a date-time with a
 *    zone (ISO-8601). A day as `from` starts at its midnight; a day as `to` includes the whole
 *    day; a date-time as `to` is exclusive;
 *  - ledger positions: `fromSeq` / `toSeq` (CLI `--from-seq` / `--to-seq`), inclusive;
 *  - tree sizes of signed checkpoints: `fromTreeSize` / `toTreeSize` (and `treeSize`).
 */
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MESSAGE = 'must be a day (YYYY-MM-DD) or a date-time with a zone (ISO-8601)';
const dateTime = z.iso.datetime({ offset: true });

function parseBound(s: string): { kind: 'day'; day: string } | { kind: 'time'; iso: string } | null {
  if (DAY.test(s)) {
    const t = Date.parse(`${s}T00:00:00Z`);
    return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s ? null : { kind: 'day', day: s };
  }
  if (!dateTime.safeParse(s).success || Number.isNaN(Date.parse(s))) return null;
  return { kind: 'time', iso: new Date(s).toISOString() };
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();

/** A day or date-time query value, turned by `convert` into what the route compares. */
function bound(description: string, convert: (b: NonNullable<ReturnType<typeof parseBound>>) => string) {
  return z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const b = parseBound(s);
      if (b) return convert(b);
      ctx.addIssue({ code: 'custom', message: MESSAGE });
      return z.NEVER;
    })
    .describe(description);
}

/** A bound of a time range as the store compares it: an ISO instant (`from` inclusive, `to` exclusive). */
export function timeBound(edge: 'from' | 'to') {
  return edge === 'from'
    ? bound('from this day or instant on (day: its midnight UTC)', (b) => (b.kind === 'time' ? b.iso : `${b.day}T00:00:00.000Z`))
    : bound('before this instant, or up to and including this day', (b) => (b.kind === 'time' ? b.iso : nextDay(b.day)));
}

/** A bound of a range of whole UTC days (`/stats`): a date-time counts as its day. */
export function dayBound(edge: 'from' | 'to') {
  const description = edge === 'from' ? 'first day (UTC), or a date-time within it' : 'last day (UTC), inclusive, or a date-time within it';
  return bound(description, (b) => (b.kind === 'day' ? b.day : b.iso.slice(0, 10)));
}

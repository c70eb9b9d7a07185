import { SPOKEN_COUNT_MAX, SPOKEN_YEARS } from '../../config/defaults.js';

/**
 * How the withdrawal line says what changes from caller to caller: as a row of prerecorded
 * pieces (prompts of their own in the manifest, so each is hashed and recorded as played).
 * A date is day, month, year in that order, which reads right in Polish ("siódmego grudnia
 * dwa tysiące dwudziestego szóstego roku") and English ("the seventh of December twenty
 * twenty-six"); a number of recordings is one whole phrase, since the noun's form depends on it.
 */

/** The pieces of the calendar date of `iso` in `timeZone`; a year outside the recorded ones is left out. */
export function datePieces(iso: string, timeZone: string): string[] {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'numeric', year: 'numeric' }).formatToParts(new Date(iso));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const [day, month, year] = [part('day'), part('month'), part('year')];
  if (!Number.isInteger(day) || !Number.isInteger(month)) return [];
  const pieces = [`date-day-${day}`, `date-month-${month}`];
  if (year >= SPOKEN_YEARS.from && year <= SPOKEN_YEARS.to) pieces.push(`date-year-${year}`);
  return pieces;
}

/** "three recordings"; more than the recorded counts: "ten or more recordings". */
export function recordingsCountPiece(n: number): string {
  return n > SPOKEN_COUNT_MAX ? 'count-recordings-many' : `count-recordings-${n}`;
}

const CHANNELS = new Set(['phone', 'sms', 'email']);

/** The pieces naming a consent's channels, in the order given; unknown channels are not said. */
export function channelPieces(channels: readonly string[]): string[] {
  return channels.filter((c) => CHANNELS.has(c)).map((c) => `channel-${c}`);
}


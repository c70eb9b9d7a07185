import type { MarketingRegistryRepo } from './marketing-rows.js';
import { lookupKeyer, normalizeCallerId } from './subject.js';

/** The most numbers one look-up may carry. */
export const MAX_LOOKUP_NUMBERS = 10_000;

/** One number's answer: its state, and the details of the change that set it. */
export interface MarketingAnswer {
  /** The number as it was asked about. */
  readonly number: string;
  /** Its E.164 form, normalised as the call path normalises caller ids; null when it is no phone number. */
  readonly e164: string | null;
  readonly state: 'given' | 'withdrawn' | 'none';
  /** Set when the number could not be read: the state is `none`, and no call may go there on its strength. */
  readonly problem?: 'not_a_phone_number';
  readonly since?: string;
  readonly controller?: string | null;
  readonly channels?: readonly string[] | null;
  readonly textVersion?: string | null;
  readonly how?: string;
  /** The evidence of the change: its ledger seq and the call it happened in (null: a letter or e-mail). */
  readonly evidence?: { readonly seq: number; readonly callId: string | null };
}

/**
 * Answers, per number, whether marketing consent is on file. Numbers are normalised and
 * HMAC'd with the pepper on the way in and kept nowhere; the registry is read by look-up key.
 */
export async function lookupMarketing(
  registry: Pick<MarketingRegistryRepo, 'lookup'>,
  numbers: readonly string[],
  opts: { readonly pepper: string; readonly defaultCountryCode: string },
): Promise<MarketingAnswer[]> {
  const keyOf = lookupKeyer(opts.pepper);
  const asked = numbers.map((number) => {
    const e164 = normalizeCallerId(number, opts.defaultCountryCode);
    return { number, e164, key: e164 === null ? null : keyOf(e164) };
  });
  const keys = [...new Set(asked.flatMap((a) => (a.key === null ? [] : [a.key])))];
  const found = await registry.lookup(keys);
  return asked.map(({ number, e164, key }): MarketingAnswer => {
    if (e164 === null || key === null) return { number, e164: null, state: 'none', problem: 'not_a_phone_number' };
    const entry = found.get(key);
    if (!entry) return { number, e164, state: 'none' };
    return {
      number,
      e164,
      state: entry.state,
      since: entry.since,
      controller: entry.controller,
      channels: entry.channels,
      textVersion: entry.textVersion,
      how: entry.how,
      evidence: { seq: entry.seq, callId: entry.callId },
    };
  });
}

import { lookupKey } from '../../evidence/subject.js';

/**
 * The do-not-record list as a look-up: the configured E.164 numbers are turned into their HMAC
 * look-up keys (the same keys the ledger's subjects and call projection carry) and then dropped,
 * so nothing at run time holds the numbers themselves.
 *
 * @example
 * const isDoNotRecord = doNotRecordLookup(config.recordings, pepper);
 * if (isDoNotRecord(subject.lookupKey)) setVar('CONSENT_RECORDING', 'no');
 */
export function doNotRecordLookup(
  config: { readonly doNotRecord: readonly string[] },
  pepper: string | Uint8Array,
): (lookupKey: string) => boolean {
  const keys = new Set(config.doNotRecord.map((e164) => lookupKey(pepper, e164)));
  return (key) => keys.has(key);
}

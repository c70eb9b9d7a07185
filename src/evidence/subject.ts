import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { EvidenceError } from './errors.js';
import type { SubjectRecord } from './types.js';

const E164 = /^\+[1-9]\d{6,14}$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

/** HMAC-SHA-256(pepper, e164) as hex: finds a caller's calls without storing the number. */
export function lookupKey(pepper: string | Uint8Array, e164: string): string {
  return createHmac('sha256', pepper).update(e164, 'utf8').digest('hex');
}

/**
 * {@link lookupKey} for many numbers under one pepper (a bulk look-up): the pepper becomes a
 * key once, not once per number. Same keys as lookupKey.
 */
export function lookupKeyer(pepper: string | Uint8Array): (e164: string) => string {
  const key = createSecretKey(typeof pepper === 'string' ? Buffer.from(pepper, 'utf8') : pepper);
  return (e164) => createHmac('sha256', key).update(e164, 'utf8').digest('hex');
}

/** hex SHA-256(salt ‖ e164), salt as raw bytes, e164 as UTF-8. */
export function commitment(saltHex: string, e164: string): string {
  return createHash('sha256').update(Buffer.from(saltHex, 'hex')).update(e164, 'utf8').digest('hex');
}

/** True when the record's number and salt still open its commitment. */
export function opensCommitment(subject: Pick<SubjectRecord, 'commitment' | 'salt' | 'e164'>): boolean {
  const expected = Buffer.from(commitment(subject.salt, subject.e164), 'hex');
  const given = Buffer.from(subject.commitment, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The subject record for a caller: a fresh 16-byte salt per call, so two calls from one
 * number have unlinkable commitments (only the peppered look-up key links them).
 */
export function createSubject(e164: string, pepper: string | Uint8Array, salt: Uint8Array = randomBytes(16)): SubjectRecord {
  if (!isE164(e164)) throw new EvidenceError('EVIDENCE_INVALID_SUBJECT', 'subject number is not in E.164 form');
  if (salt.length < 16) throw new EvidenceError('EVIDENCE_INVALID_SUBJECT', 'subject salt must be at least 16 bytes');
  const saltHex = Buffer.from(salt).toString('hex');
  return {
    commitment: commitment(saltHex, e164),
    lookupKey: lookupKey(pepper, e164),
    masked: maskE164(e164),
    e164,
    salt: saltHex,
  };
}

// ITU-T E.164 calling codes of one and two digits; every other code has three.
const CC1 = new Set(['1', '7']);
const CC2 = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
  '86', '90', '91', '92', '93', '94', '95', '98',
]);

/** The calling code of an E.164 number (without '+'). */
export function countryCode(e164: string): string {
  const digits = e164.replace(/^\+/, '');
  if (CC1.has(digits.slice(0, 1))) return digits.slice(0, 1);
  if (CC2.has(digits.slice(0, 2))) return digits.slice(0, 2);
  return digits.slice(0, 3);
}

/**
 * Display form that keeps only the calling code and the last two digits, in groups of
 * three: `+48600123456` → `+48 *** *** *56`. Not reversible; safe for logs and screens.
 */
export function maskE164(e164: string): string {
  const cc = countryCode(e164);
  const national = e164.replace(/^\+/, '').slice(cc.length);
  const shown = national.slice(-2);
  const masked = '*'.repeat(Math.max(0, national.length - shown.length)) + shown;
  const groups: string[] = [];
  for (let i = 0; i < masked.length; i += 3) groups.push(masked.slice(i, i + 3));
  // A lone trailing digit joins the group before it, so the visible pair stays together.
  if (groups.length > 1 && groups[groups.length - 1]!.length === 1) {
    const last = groups.pop()!;
    groups.push(groups.pop()! + last);
  }
  return `+${cc} ${groups.join(' ')}`;
}

// Countries whose national numbers keep the leading 0 after the calling code.
const KEEPS_TRUNK_ZERO = new Set(['39', '378', '379']);

/**
 * Normalises a raw caller id (as Asterisk's CALLERID(num) gives it) to E.164. `+…` and
 * `00…` are international; a leading `0` is a national trunk prefix; anything else is a
 * national number in `defaultCountryCode` (e.g. `'48'` or `'+48'`). Anonymous, empty,
 * non-numeric or implausible ids give null. Never throws.
 */
export function normalizeCallerId(raw: string | null | undefined, defaultCountryCode: string): string | null {
  try {
    if (typeof raw !== 'string') return null;
    const cc = defaultCountryCode.trim().replace(/^\+/, '');
    if (!/^[1-9]\d{0,2}$/.test(cc)) return null;
    let s = raw.trim();
    const uri = /^(?:sips?|tel):([^@;]+)/i.exec(s);
    if (uri) s = uri[1]!;
    s = s.replace(/[\s\-.()/]/g, '');
    if (!/^\+?\d+$/.test(s)) return null;
    let e164: string;
    if (s.startsWith('+')) e164 = s;
    else if (s.startsWith('00')) e164 = `+${s.slice(2)}`;
    else if (s.startsWith('0') && !KEEPS_TRUNK_ZERO.has(cc)) e164 = `+${cc}${s.slice(1)}`;
    else e164 = `+${cc}${s}`;
    return isE164(e164) ? e164 : null;
  } catch {
    return null;
  }
}

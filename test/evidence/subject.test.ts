import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EvidenceError } from '../../src/evidence/errors.js';
import {
  countryCode,
  createSubject,
  lookupKey,
  lookupKeyer,
  maskE164,
  normalizeCallerId,
  opensCommitment,
} from '../../src/evidence/subject.js';

describe('normalizeCallerId', () => {
  it.each([
    ['+48 600 123 456', '48', '+48600123456'],
    ['0048600123456', '48', '+48600123456'],
    ['600123456', '48', '+48600123456'],
    ['600-123-456', '+48', '+48600123456'],
    ['030 1234567', '49', '+49301234567'],
    ['06 1234 5678', '39', '+390612345678'],
    ['(212) 555-0100', '1', '+12125550100'],
    ['sip:+48600123456@pbx.example', '48', '+48600123456'],
    ['tel:+48600123456', '48', '+48600123456'],
  ])('%s with default %s → %s', (raw, cc, e164) => {
    expect(normalizeCallerId(raw, cc)).toBe(e164);
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['   '],
    ['anonymous'],
    ['Anonymous'],
    ['unknown'],
    ['restricted'],
    ['+48abc'],
    ['101'],
    ['+'],
    ['+0123456789'],
    ['+1234567890123456'],
    ['*31#600123456'],
  ])('%s → null', (raw) => {
    expect(normalizeCallerId(raw as string | null | undefined, '48')).toBeNull();
  });

  it('never throws, even for a bad default country code or a non-string', () => {
    expect(normalizeCallerId('600123456', 'xx')).toBeNull();
    expect(normalizeCallerId(42 as unknown as string, '48')).toBeNull();
  });
});

describe('masking', () => {
  it('keeps the calling code and the last two digits', () => {
    expect(maskE164('+48600123456')).toBe('+48 *** *** *56');
    expect(maskE164('+12125550100')).toBe('+1 *** *** **00');
    expect(maskE164('+420601234567')).toBe('+420 *** *** *67');
  });

  it('knows one-, two- and three-digit calling codes', () => {
    expect(countryCode('+12125550100')).toBe('1');
    expect(countryCode('+79161234567')).toBe('7');
    expect(countryCode('+441632960000')).toBe('44');
    expect(countryCode('+353851234567')).toBe('353');
  });
});

describe('createSubject', () => {
  const pepper = 'a-secret-pepper';

  it('derives the look-up key with HMAC and the commitment from salt ‖ number', () => {
    const salt = Buffer.alloc(16, 7);
    const s = createSubject('+48600123456', pepper, salt);
    expect(s.lookupKey).toBe(createHmac('sha256', pepper).update('+48600123456').digest('hex'));
    expect(s.commitment).toBe(createHash('sha256').update(salt).update('+48600123456').digest('hex'));
    expect(s.salt).toBe(salt.toString('hex'));
    expect(s.masked).toBe('+48 *** *** *56');
    expect(opensCommitment(s)).toBe(true);
    expect(opensCommitment({ ...s, e164: '+48600123457' })).toBe(false);
  });

  it('uses a fresh salt per subject: same look-up key, unlinkable commitments', () => {
    const a = createSubject('+48600123456', pepper);
    const b = createSubject('+48600123456', pepper);
    expect(a.lookupKey).toBe(b.lookupKey);
    expect(a.salt).toHaveLength(32);
    expect(a.salt).not.toBe(b.salt);
    expect(a.commitment).not.toBe(b.commitment);
    expect(lookupKey('another-pepper', a.e164)).not.toBe(a.lookupKey);
  });

  it('lookupKeyer gives, for many numbers, the keys lookupKey gives one by one, for any pepper', () => {
    const peppers = [pepper, 'żółć-pepper-ü', 'p'.repeat(64), 'q'.repeat(200), '', Buffer.from([0, 1, 2, 255]), new Uint8Array(100).fill(9)];
    const numbers = ['+48600123456', '+1202555012', '+390612345678', 'x', ''];
    for (const p of peppers) {
      const keyOf = lookupKeyer(p);
      for (const n of numbers) expect(keyOf(n), `${String(p)} ${n}`).toBe(lookupKey(p, n));
    }
    expect(lookupKeyer('one')('+48600123456')).not.toBe(lookupKeyer('two')('+48600123456'));
  });

  it('refuses a number that is not E.164', () => {
    expect(() => createSubject('600123456', pepper)).toThrow(EvidenceError);
  });
});

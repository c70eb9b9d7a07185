import { describe, expect, it } from 'vitest';
import { DPO_MESSAGES } from '../../src/console/messages-dpo.js';
import { SUBJECT_MESSAGES } from '../../src/console/messages-subjects.js';

describe('the DPO pages speak Polish and English alike', () => {
  for (const [name, m] of Object.entries({ DPO_MESSAGES, SUBJECT_MESSAGES })) {
    it(`${name}: the same keys in both languages, the same {placeholders} in each pair, no text left untranslated`, () => {
      expect(Object.keys(m.pl).sort()).toEqual(Object.keys(m.en).sort());
      const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort();
      for (const key of Object.keys(m.en)) {
        expect(vars(m.pl[key]!), key).toEqual(vars(m.en[key]!));
        // Identical texts are allowed only where both languages write them the same way.
        if (m.pl[key] === m.en[key]) expect(['holds.by', 'withdrawals.consent.marketing', 'access.format'], key).toContain(key);
      }
    });
  }
});

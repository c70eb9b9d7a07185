import { describe, expect, it } from 'vitest';
import type { ReadSide } from '../../src/evidence/open-read-side.js';
import { lookupKey } from '../../src/evidence/subject.js';
import { appendMarketingCall, appendWithdrawal } from '../support/marketing-seed.js';
import type { ContractStore } from './engine.js';

export const PEPPER = 'marketing-contract-pepper-0123456789abcdef';

/** One ledger on one engine, for the marketing registry contract. */
export interface MarketingLedger {
  store(): Promise<ContractStore>;
  readSide(): Promise<ReadSide>;
  /** Runs a statement on the database as someone with write access to the tables would. */
  sql(statement: string, values?: unknown[]): Promise<void>;
}

const key = (n: string) => lookupKey(PEPPER, n);

/** A varied history: given, refused later, withdrawn by letter, unanswered, no caller id, recording withdrawn. */
async function seedHistory(store: ContractStore) {
  const call = (callId: string, number: string | null, decision: 'yes' | 'no' | 'none', at: string) =>
    appendMarketingCall(store, { callId, number, decision, at, pepper: PEPPER });
  await call('a-1', '+48600100001', 'yes', '2026-03-01T09:00:00.000Z');
  await call('b-1', '+48600100002', 'yes', '2026-03-01T09:10:00.000Z');
  await call('b-2', '+48600100002', 'no', '2026-03-02T09:10:00.000Z');
  await call('c-1', '+48600100003', 'yes', '2026-03-01T09:20:00.000Z');
  await appendWithdrawal(store, { number: '+48600100003', consent: 'marketing', channel: 'email', reference: 'E-1', at: '2026-03-03T09:00:00.000Z', pepper: PEPPER });
  await call('d-1', '+48600100004', 'none', '2026-03-01T09:30:00.000Z');
  await call('e-1', null, 'yes', '2026-03-01T09:40:00.000Z');
  await appendWithdrawal(store, { number: '+48600100001', consent: 'recording', channel: 'letter', reference: 'L-1', at: '2026-03-03T10:00:00.000Z', pepper: PEPPER });
  // Several answers committed in one batch.
  await Promise.all(['f', 'g', 'h'].map((p, i) => call(`${p}-1`, `+4860010001${i}`, i === 1 ? 'no' : 'yes', `2026-03-04T09:0${i}:00.000Z`)));
}

export function marketingContract(engine: { name: string; ledger: () => Promise<MarketingLedger> }): void {
  describe(`marketing consent registry (${engine.name})`, () => {
    it('is kept by the triggers exactly as the ledger derives it, and answers look-ups by key', async () => {
      const ledger = await engine.ledger();
      await seedHistory(await ledger.store());
      const side = await ledger.readSide();
      expect(await side.marketing.check()).toEqual({ entries: 6, differences: [] });
      const found = await side.marketing.lookup(['+48600100001', '+48600100002', '+48600100003', '+48600100004', '+48600100011'].map(key));
      expect(found.get(key('+48600100001'))).toMatchObject({ state: 'given', callId: 'a-1', how: 'call', channels: ['phone', 'sms'], textVersion: 'marketing-consent/pl@2' });
      expect(found.get(key('+48600100002'))).toMatchObject({ state: 'withdrawn', callId: 'b-2', how: 'call' });
      expect(found.get(key('+48600100003'))).toMatchObject({ state: 'withdrawn', callId: null, how: 'email', since: '2026-03-03T09:00:00.000Z', controller: null });
      expect(found.has(key('+48600100004'))).toBe(false);
      expect(found.get(key('+48600100011'))).toMatchObject({ state: 'withdrawn', callId: 'g-1' });
    });

    it('answers a look-up of many keys (duplicates, misses) entry for entry as one key at a time', async () => {
      const ledger = await engine.ledger();
      await seedHistory(await ledger.store());
      const side = await ledger.readSide();
      const known = ['+48600100001', '+48600100002', '+48600100003', '+48600100010', '+48600100011', '+48600100012'].map(key);
      const misses = Array.from({ length: 1_200 }, (_, i) => key(`+48601${String(i).padStart(6, '0')}`));
      const found = await side.marketing.lookup([...misses.slice(0, 600), ...known, ...known, ...misses.slice(600)]);
      expect([...found.keys()].sort()).toEqual([...known].sort());
      for (const k of known) expect(found.get(k)).toEqual((await side.marketing.lookup([k])).get(k));
      expect(found.get(key('+48600100003'))).toEqual({
        lookupKey: key('+48600100003'),
        state: 'withdrawn',
        since: '2026-03-03T09:00:00.000Z',
        seq: expect.any(Number),
        callId: null,
        how: 'email',
        controller: null,
        channels: null,
        textVersion: null,
      });
      expect(found.get(key('+48600100001'))).toMatchObject({ seq: expect.any(Number), channels: ['phone', 'sms'], controller: 'Example Controller Sp. z o.o.' });
      expect((await side.marketing.lookup([])).size).toBe(0);
    });

    it('rebuild --check finds a registry tampered with, and rebuild puts back what the ledger says', async () => {
      const ledger = await engine.ledger();
      await seedHistory(await ledger.store());
      await ledger.sql(`UPDATE marketing_consents SET state = 'given' WHERE lookup_key = '${key('+48600100002')}'`);
      await ledger.sql(`DELETE FROM marketing_consents WHERE lookup_key = '${key('+48600100001')}'`);
      await ledger.sql(`INSERT INTO marketing_consents (lookup_key, state, since, seq, how) VALUES ('${key('+48600100099')}', 'given', '2026-01-01T00:00:00.000Z', 1, 'call')`);
      const side = await ledger.readSide();
      const check = await side.marketing.check();
      expect(check.entries).toBe(6);
      expect([...check.differences].sort((a, b) => a.problem.localeCompare(b.problem))).toEqual([
        { key: key('+48600100002').slice(0, 12), problem: 'differs', fields: ['state'] },
        { key: key('+48600100001').slice(0, 12), problem: 'missing' },
        { key: key('+48600100099').slice(0, 12), problem: 'unexpected' },
      ]);
      expect(await side.marketing.rebuild()).toEqual({ entries: 6, replacedDifferences: 3 });
      expect(await side.marketing.check()).toEqual({ entries: 6, differences: [] });
      expect((await side.marketing.lookup([key('+48600100002')])).get(key('+48600100002'))?.state).toBe('withdrawn');
    });

    it('keeps up with appends after a rebuild, and forgets a caller whose records are all erased', async () => {
      const ledger = await engine.ledger();
      const store = await ledger.store();
      await seedHistory(store);
      const side = await ledger.readSide();
      await side.marketing.rebuild();
      await appendMarketingCall(store, { callId: 'a-2', number: '+48600100001', decision: 'no', at: '2026-03-05T09:00:00.000Z', pepper: PEPPER });
      expect((await side.marketing.lookup([key('+48600100001')])).get(key('+48600100001'))).toMatchObject({ state: 'withdrawn', callId: 'a-2' });
      const subjects = async (callId: string) => (await store.callEvents(callId))[0]!.data.caller as string;
      for (const callId of ['f-1']) expect(await store.eraseSubject(await subjects(callId))).toBe(true);
      expect((await side.marketing.lookup([key('+48600100010')])).size).toBe(0);
      expect(await side.marketing.check()).toMatchObject({ differences: [] });
    });

    it('after a partial erasure (an old call swept) the check shows the stale entry until a rebuild', async () => {
      const ledger = await engine.ledger();
      const store = await ledger.store();
      await seedHistory(store);
      await appendMarketingCall(store, { callId: 'h-2', number: '+48600100012', decision: 'no', at: '2026-03-06T09:00:00.000Z', pepper: PEPPER });
      const caller = (await store.callEvents('h-2'))[0]!.data.caller as string;
      expect(await store.eraseSubject(caller)).toBe(true);
      const side = await ledger.readSide();
      expect((await side.marketing.check()).differences).toEqual([{ key: key('+48600100012').slice(0, 12), problem: 'differs', fields: ['state', 'since', 'seq', 'callId'] }]);
      await side.marketing.rebuild();
      expect((await side.marketing.lookup([key('+48600100012')])).get(key('+48600100012'))).toMatchObject({ state: 'given', callId: 'h-1' });
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteMarketingRegistry } from '../../src/evidence/marketing-sqlite.js';
import { lookupKey } from '../../src/evidence/subject.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { databaseTarget } from '../../src/evidence/open-store.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import { pressAfter } from '../emulators/ari/emulator.js';
import { outboundTop, promptsPlayed, startScenario, type Scenario } from './harness.js';

// Issue 22: a marketing consent given in a call, withdrawn by DTMF on the withdrawal line, and the
// outbound guard that honours it, on the ARI emulator with the service's real parts.
const CALLER = '+48600100200';
const LINE = '48227000000';
const PEPPER = 'test-pepper-0123456789abcdef0123456789';
const MENU = 'consentline/menu';
const CONTROLLER = 'ACME Polska Sp. z o.o., ul. Prosta 1, 00-001 Warszawa';

let s: Scenario;
beforeAll(async () => {
  const common = {
    legalBasis: 'consent_by_conduct',
    timeouts: { digitSeconds: 0.4, callSeconds: 30, promptSeconds: 10 },
    retries: { menu: 1, question: 1 },
    defaultRoute: 'agents',
    fallbackRoute: 'fallback',
  };
  s = await startScenario({
    top: {
      ...outboundTop([
        { id: 'spring', purpose: 'marketing' },
        { id: 'sms-only', purpose: 'marketing', channel: 'email' },
        { id: 'delivery', purpose: 'service' },
      ]),
      flows: [
        {
          ...common,
          id: 'hotline',
          default: true,
          menu: { '1': { action: 'route', route: 'sales' }, '7': { action: 'withdraw' }, '8': { action: 'clause' }, '9': { action: 'objection' } },
          marketing: { controller: CONTROLLER, channels: ['phone', 'sms'] },
        },
        { ...common, id: 'withdrawals', dids: [`+${LINE}`], withdrawal: { dedicated: true } },
      ],
    },
  });
}, 60_000);
afterAll(async () => s?.stop());

const dbPath = () => {
  const t = databaseTarget(s.config);
  if (t.kind !== 'sqlite') throw new Error('sqlite only');
  return t.path;
};
const registryCheck = async () => {
  const { db } = openSqlite({ path: dbPath() });
  try {
    return await new SqliteMarketingRegistry(db).check();
  } finally {
    db.close();
  }
};
const entryOf = async (number: string) => {
  const key = lookupKey(PEPPER, number);
  const { db } = openSqlite({ path: dbPath() });
  try {
    return (await new SqliteMarketingRegistry(db).lookup([key])).get(key);
  } finally {
    db.close();
  }
};

/** A dialer's campaign call: Stasis(consentline,outbound,<campaign>,<number>) from consentline-outbound. */
async function dial(campaign: string, number: string) {
  const { handle, outcome } = await s.campaignCall(campaign, number);
  let checked: StoredEvent | undefined;
  for await (const e of s.service.store.events()) if (e.kind === 'outbound.checked' && e.data.channelId === handle.id) checked = e;
  return { outcome, vars: handle.variables(), checked: checked! };
}

describe.sequential('consent lifecycle on the emulator', () => {
  it('a marketing consent given in a call lets a marketing campaign call the number', async () => {
    const r = await s.call({ callerNumber: CALLER, script: [pressAfter(MENU, '1', 10), pressAfter('consentline/marketing-consent', '1', 10)] });
    expect(r.vars.CONSENT_MARKETING).toBe('yes');
    const d = await dial('spring', '600100200');
    expect(d.outcome).toMatchObject({ kind: 'continued', target: { context: 'consentline-outbound-dial', extension: 'dial' } });
    expect(d.vars).toMatchObject({ CONSENT_OUTBOUND: 'allowed', CONSENT_OUTBOUND_REASON: 'marketing_consent_given' });
    const consent = r.events.find((e) => e.kind === 'consent.marketing')!;
    expect(d.checked.data).toMatchObject({ campaign: 'spring', purpose: 'marketing', decision: 'allowed', reason: 'marketing_consent_given', consentSeq: consent.seq, number: '+48 *** *** *00' });
    expect(JSON.stringify(d.checked.data)).not.toContain('600100200');
  });

  it('a campaign for a channel the consent does not cover, and a number without consent, are refused and never dialled', async () => {
    const email = await dial('sms-only', '600100200');
    expect(email.outcome).toMatchObject({ kind: 'continued', target: { extension: 'refused' } });
    expect(email.checked.data).toMatchObject({ decision: 'refused', reason: 'channel_not_consented' });
    const stranger = await dial('spring', '+48600999111');
    expect(stranger.vars).toMatchObject({ CONSENT_OUTBOUND: 'refused', CONSENT_OUTBOUND_REASON: 'no_marketing_consent' });
    expect(stranger.outcome).toMatchObject({ target: { extension: 'refused' } });
    const unknown = await dial('no-such-campaign', '600100200');
    expect(unknown.checked.data).toMatchObject({ decision: 'refused', reason: 'unknown_campaign' });
    const service = await dial('delivery', '+48600999111');
    expect(service.checked.data).toMatchObject({ decision: 'allowed', reason: 'not_marketing' });
    expect(s.logs.filter((l) => l.msg === 'outbound call refused: not dialled').length).toBeGreaterThanOrEqual(3);
  });

  it('withdrawal line by DTMF: hears the consent (date, channels), key 1 withdraws it; the registry changes at once; --check clean', async () => {
    const r = await s.call({
      callerNumber: CALLER,
      exten: LINE,
      script: [pressAfter('consentline/withdraw-marketing-confirm', '1', 10)],
    });
    const played = promptsPlayed(r.events).map((p) => p.split(':')[0]!);
    expect(played.slice(0, 2)).toEqual(['withdraw-intro', 'withdraw-marketing-given']);
    expect(played).toEqual(expect.arrayContaining(['date-month-12', 'withdraw-channels', 'channel-phone', 'channel-sms', 'withdraw-marketing-done', 'goodbye']));
    expect(played.some((p) => p.startsWith('date-day-'))).toBe(true);
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'agents' } });
    expect(r.vars).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_MARKETING: 'no' });
    const w = r.events.find((e) => e.kind === 'consent.withdrawn')!;
    expect(w.data).toEqual({ consent: 'marketing', channel: 'phone', how: 'dtmf', digit: '1' });
    expect(await entryOf(CALLER)).toMatchObject({ state: 'withdrawn', how: 'phone', callId: w.callId, seq: w.seq });
    expect((await registryCheck()).differences).toEqual([]);
  });

  it('after the withdrawal the same marketing campaign call is refused and never dialled', async () => {
    const d = await dial('spring', '600100200');
    expect(d.outcome).toMatchObject({ kind: 'continued', target: { extension: 'refused' } });
    expect(d.checked.data).toMatchObject({ decision: 'refused', reason: 'marketing_consent_withdrawn' });
  });

  it('a second call to the line finds nothing left to withdraw; a withheld number hears why and the other ways', async () => {
    const again = await s.call({ callerNumber: CALLER, exten: LINE });
    expect(promptsPlayed(again.events).map((p) => p.split(':')[0])).toEqual(['withdraw-intro', 'withdraw-nothing', 'withdraw-other-ways', 'goodbye']);
    const hidden = await s.call({ callerNumber: 'anonymous', exten: LINE });
    expect(promptsPlayed(hidden.events).map((p) => p.split(':')[0])).toEqual(['withdraw-intro', 'withdraw-no-number', 'withdraw-other-ways', 'goodbye']);
    expect(hidden.events.some((e) => e.kind === 'consent.withdrawn')).toBe(false);
  });

  it('the withdraw key in the hotline menu: back to the menu afterwards, the call goes on', async () => {
    const r = await s.call({ callerNumber: '+48600555444', script: [pressAfter(MENU, '7', 10)] });
    const played = promptsPlayed(r.events).map((p) => p.split(':')[0]!);
    expect(played.slice(0, 6)).toEqual(['notice', 'menu', 'withdraw-intro', 'withdraw-nothing', 'withdraw-other-ways', 'menu']);
    // No key after it: the menu's retries, then the default route.
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'agents' } });
  });
});

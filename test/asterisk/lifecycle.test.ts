/**
 * Issue 22 on a real Asterisk 22 with the shipped configs: a marketing consent given in a call,
 * a campaign call the outbound guard lets through (the trunk channel rings), the consent
 * withdrawn by DTMF on the withdrawal line (with the recording consent, which opens an erasure
 * request), the same campaign call refused and never dialled; and a route the dialplan lacks,
 * found over AMI with the rights manager.conf's comments name, sending its call to the fallback.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupKey } from '../../src/evidence/subject.js';
import type { AriEvent, TestCall } from './harness/observer.js';
import { OBSERVER_APP } from './harness/observer.js';
import { DID, rigForFile, until, type Rig } from './setup.js';

const LINE = '48221000006';
const BROKEN = '48221000007';
const TRUNK = 'consentline-test-trunk';
const CALLER = '+48600100200'; // the observer's caller id, 600100200, in E.164
const PEPPER = 'asterisk-suite-pepper-0123456789abcdef';
const COMMON = { timeouts: { digitSeconds: 2.5, callSeconds: 120 }, retries: { menu: 2, question: 1 }, defaultRoute: 'agents', fallbackRoute: 'fallback', languages: { default: 'pl', offered: ['pl'] } };

const rig: () => Rig = rigForFile({
  routeCheck: true,
  // A trunk the outbound dial route can reach: a static contact nobody answers on (UDP discard port).
  customize: (etc) => appendFile(join(etc, 'pjsip.conf'), '\n[trunk]\ntype = aor\ncontact = sip:127.0.0.1:9\n\n[trunk]\ntype = endpoint\naors = trunk\ncontext = consentline-test-trunk\ndisallow = all\nallow = ulaw\n'),
  service: (_a, config) => ({
    config: {
      ...config,
      routes: {
        ...(config.routes as object),
        'outbound-dial': { context: 'consentline-outbound-dial', extension: 'dial' },
        'outbound-refused': { context: 'consentline-outbound-dial', extension: 'refused' },
        missing: { context: 'consentline-after', extension: 'no-such-route' },
      },
      flows: [
        ...(config.flows as object[]),
        { ...COMMON, id: 'withdrawals', dids: [`+${LINE}`], legalBasis: 'consent_by_conduct', withdrawal: { dedicated: true } },
        { ...COMMON, id: 'broken', dids: [`+${BROKEN}`], legalBasis: 'consent_by_conduct', menu: { '1': { action: 'route', route: 'missing' }, '8': { action: 'clause' }, '9': { action: 'objection' } } },
      ],
      outbound: { dialRoute: 'outbound-dial', refusedRoute: 'outbound-refused', campaigns: [{ id: 'spring', purpose: 'marketing' }] },
    },
  }),
});

async function heard(call: TestCall, id: string, nth = 1): Promise<void> {
  await call.finished(await call.prompt(id, nth));
}

const trunkChannels = (r: Rig) => r.observer.events.filter((e) => e.type === 'ChannelCreated' && String((e.channel as { name?: string } | undefined)?.name).startsWith('PJSIP/trunk-'));

/** A dialer's campaign call: Local/<number>@consentline-outbound with CONSENTLINE_CAMPAIGN set. */
/** Waits until the service's log holds a line matching `pattern` (it reaches the file through a pipe, a moment after the event). */
async function logged(r: Rig, pattern: RegExp | string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const has = (log: string) => (typeof pattern === 'string' ? log.includes(pattern) : pattern.test(log));
  while (!has(await readFile(r.service.logFile, 'utf8'))) {
    if (Date.now() > deadline) throw new Error(`the service never logged ${String(pattern)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function campaignCall(r: Rig, campaign: string, number: string) {
  const dialerId = `dialer-${randomUUID()}`;
  const guardedId = `guarded-${randomUUID()}`;
  const a = r.asterisk;
  const res = await fetch(`http://127.0.0.1:${a.httpPort}/ari/channels?${new URLSearchParams({ endpoint: `Local/${number}@consentline-outbound`, app: OBSERVER_APP, channelId: dialerId, otherChannelId: guardedId, timeout: '30' })}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${a.ariUser}:${a.ariPassword}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ variables: { CONSENTLINE_CAMPAIGN: campaign } }),
  });
  if (res.status !== 200) throw new Error(`originate Local/${number}@consentline-outbound: ${res.status} ${await res.text()}`);
  const on = (e: AriEvent) => e.channel?.id === guardedId;
  return {
    guardedId,
    dialplan: () => r.observer.events.filter((e) => on(e) && e.type === 'ChannelDialplan').map((e) => `${e.channel!.dialplan!.context},${e.channel!.dialplan!.exten}:${e.channel!.dialplan!.app_name}`),
    reaches: (context: string, app: string) => r.observer.waitFor(`${app} in ${context} on ${guardedId}`, (e) => on(e) && e.type === 'ChannelDialplan' && e.channel?.dialplan?.context === context && e.channel.dialplan.app_name === app, 30_000),
    gone: () => r.observer.waitFor(`${guardedId} destroyed`, (e) => on(e) && e.type === 'ChannelDestroyed', 30_000),
    hangup: () => fetch(`http://127.0.0.1:${a.httpPort}/ari/channels/${dialerId}`, { method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`${a.ariUser}:${a.ariPassword}`).toString('base64')}` } }),
    checked: () => rig().ledger.callless('outbound.checked').find((e) => e.data.channelId === guardedId),
  };
}

describe.sequential('consent lifecycle on a real Asterisk', () => {
  it('a marketing consent given in a call: a marketing campaign call to the number passes the guard and the trunk rings', async () => {
    const r = rig();
    const call = await r.observer.call(DID.marketing, TRUNK);
    await heard(call, 'menu');
    await call.press('1');
    await heard(call, 'marketing-consent');
    await call.press('1');
    const ended = await r.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ marketing: 'yes', recording: 'yes' });
    await call.gone(60_000);
    // The recording of that call reaches the pipeline: the withdrawal line will find it.
    await until(() => r.ledger.recordings(ended.callId).length > 0, 60_000, 'the recording of the consent call');

    const before = trunkChannels(r).length;
    const c = await campaignCall(r, 'spring', '600100200');
    await c.reaches('consentline-outbound-dial', 'Dial');
    await until(() => trunkChannels(r).length > before, 20_000, 'a PJSIP/trunk channel (the callee ringing)');
    expect(c.checked()?.data).toMatchObject({ campaign: 'spring', decision: 'allowed', reason: 'marketing_consent_given', number: '+48 *** *** *00' });
    await c.hangup();
    await c.gone();
  });

  it('withdrawal line by DTMF: hears the marketing consent and the recording, withdraws both with key 1', async () => {
    const r = rig();
    const call = await r.observer.call(LINE, TRUNK);
    await heard(call, 'withdraw-marketing-confirm');
    await call.press('1');
    await heard(call, 'withdraw-recording-confirm');
    await call.press('1');
    await call.prompt('goodbye');
    const ended = await r.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ flowId: 'withdrawals', outcome: 'continued', recording: 'no', marketing: 'no' });
    const played = call.played().map((m) => m.replace('sound:consentline/', ''));
    expect(played.slice(0, 2)).toEqual(['withdraw-intro', 'withdraw-marketing-given']);
    expect(played).toEqual(expect.arrayContaining(['withdraw-channels', 'channel-phone', 'withdraw-marketing-done', 'withdraw-recordings-consent', 'count-recordings-1', 'withdraw-recording-done', 'goodbye']));
    const withdrawn = r.ledger.events(ended.callId).filter((e) => e.kind === 'consent.withdrawn');
    expect(withdrawn.map((e) => e.data.consent)).toEqual(['marketing', 'recording']);
    expect(withdrawn[0]!.data).toEqual({ consent: 'marketing', channel: 'phone', how: 'dtmf', digit: '1' });
    expect(withdrawn[1]!.data).toMatchObject({ channel: 'phone', erasureRequestId: expect.any(String), toErase: [expect.any(String)] });
    expect(r.ledger.marketingState(lookupKey(PEPPER, CALLER))).toEqual({ state: 'withdrawn', how: 'phone', callId: ended.callId });
    expect(call.dialplan().some((d) => d.includes(':MixMonitor('))).toBe(false);
  });

  it('the same marketing campaign call is now refused: logged with the reason, never dialled', async () => {
    const r = rig();
    const before = trunkChannels(r).length;
    const c = await campaignCall(r, 'spring', '600100200');
    await c.reaches('consentline-outbound-dial', 'Hangup');
    await c.gone();
    expect(c.dialplan()).toEqual(expect.arrayContaining(['consentline-outbound-dial,refused:Log']));
    expect(c.dialplan().some((d) => d.endsWith(':Dial'))).toBe(false);
    expect(trunkChannels(r)).toHaveLength(before);
    expect(c.checked()?.data).toMatchObject({ decision: 'refused', reason: 'marketing_consent_withdrawn' });
    await logged(r, /outbound call refused: not dialled/, 10_000);
  });

  it('a route missing from the running dialplan: found over AMI, its call goes to the fallback with the reason in the ledger', async () => {
    const r = rig();
    const missingLine = 'route(s) missing from the running dialplan: missing (no-such-route@consentline-after)';
    await logged(r, missingLine);
    const call = await r.observer.call(BROKEN, TRUNK);
    await heard(call, 'menu');
    await call.press('1');
    await call.reaches('consentline-fallback', 'Queue', 30_000);
    const ended = await r.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ flowId: 'broken', outcome: 'failed', recording: 'no' });
    expect(r.ledger.events(ended.callId).at(-1)).toMatchObject({ kind: 'call.failed', data: { reason: 'route_not_in_dialplan', missingRoute: 'missing', route: 'fallback' } });
    expect(call.variables().CONSENT_RECORDING).toBe('no');
    await call.hangup();
  });
});

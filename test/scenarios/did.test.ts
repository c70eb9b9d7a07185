import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pressAfter } from '../emulators/ari/emulator.js';
import { ROUTES, startScenario } from './harness.js';

/** The called number chooses the flow (issue 18, defect 1): `Stasis(consentline,${EXTEN})` as the fixed dialplan runs it. */
type Scenario = Awaited<ReturnType<typeof startScenario>>;
let s: Scenario;

const flow = (id: string, extra: Record<string, unknown>) => ({
  id,
  menu: { '1': { action: 'route', route: 'sales' }, '9': { action: 'objection' } },
  timeouts: { digitSeconds: 0.4, callSeconds: 30, promptSeconds: 10 },
  defaultRoute: 'agents',
  fallbackRoute: 'fallback',
  ...extra,
});

beforeAll(async () => {
  s = await startScenario({
    top: {
      routes: ROUTES,
      flows: [
        flow('hotline', { default: true, legalBasis: 'consent_by_conduct' }),
        flow('explicit', { dids: ['+48221000001'], legalBasis: 'explicit_consent' }),
        flow('interest', { dids: ['48221000002'], legalBasis: 'legitimate_interest' }),
      ],
    },
  });
});
afterAll(async () => s.stop());

const MENU = 'consentline/menu';

describe('flow chosen by the called number', () => {
  it('DID as the first Stasis argument, extension `s`: the explicit-consent flow asks before recording', async () => {
    const r = await s.call({ exten: 's', args: ['48221000001'], script: [pressAfter(MENU, '1', 10)] });
    expect(r.events[0]!.data).toMatchObject({ flowId: 'explicit', did: '48221000001', didFrom: 'stasis_arg', flowSelection: 'did_matched' });
    // Nobody agreed: not recorded.
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.events.some((e) => e.kind === 'prompt.played' && e.data.promptId === 'recording-consent')).toBe(true);
    const line = s.logs.find((l) => l.msg === 'call entered: flow chosen' && l.channel === r.handle.id);
    expect(line).toMatchObject({ did: '48221000001', flow: 'explicit', flowSelection: 'did_matched' });
  });

  it('a second DID maps to another flow', async () => {
    const r = await s.call({ exten: 's', args: ['48221000002'], script: [pressAfter(MENU, '1', 10)] });
    expect(r.events[0]!.data).toMatchObject({ flowId: 'interest', legalBasis: 'legitimate_interest', flowSelection: 'did_matched' });
  });

  it('an unknown DID takes the default flow, and the evidence says why', async () => {
    const r = await s.call({ exten: 's', args: ['48229999999'], script: [pressAfter(MENU, '1', 10)] });
    expect(r.events[0]!.data).toMatchObject({ flowId: 'hotline', did: '48229999999', flowSelection: 'default_unknown_did' });
  });

  it('no DID at all (the old dialplan: extension `s`, no argument): default flow, said in the evidence and warned once in the log', async () => {
    const r = await s.call({ exten: 's', args: [], script: [pressAfter(MENU, '1', 10)] });
    expect(r.events[0]!.data).toMatchObject({ flowId: 'hotline', did: 's', didFrom: 'exten', flowSelection: 'default_no_did' });
    await s.call({ exten: 's', args: [], script: [pressAfter(MENU, '1', 10)] });
    expect(s.logs.filter((l) => String(l.msg).startsWith('no called number reached ConsentLine'))).toHaveLength(1);
  });

  it('no Stasis argument but a numeric extension: the extension is the DID', async () => {
    const r = await s.call({ exten: '48221000002', args: [], script: [pressAfter(MENU, '1', 10)] });
    expect(r.events[0]!.data).toMatchObject({ flowId: 'interest', didFrom: 'exten', flowSelection: 'did_matched' });
  });
});

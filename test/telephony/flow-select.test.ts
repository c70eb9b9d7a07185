import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { flowSelector } from '../../src/telephony/flow-select.js';

const flow = (id: string, extra: Record<string, unknown>) => ({
  id,
  legalBasis: 'consent_by_conduct',
  menu: { '1': { action: 'route', route: 'agents' } },
  defaultRoute: 'agents',
  fallbackRoute: 'agents',
  ...extra,
});
const { flows } = ConfigSchema.parse({
  routes: { agents: { context: 'consentline-after', extension: 'agents' } },
  flows: [flow('hotline', { default: true }), flow('sales', { dids: ['+48221000001'], legalBasis: 'explicit_consent' })],
});
const select = flowSelector(flows);

describe('flow selection by the called number', () => {
  it('the first Stasis argument is the DID: matched by its digits', () => {
    expect(select(['48221000001'], 's')).toMatchObject({ did: '48221000001', didFrom: 'stasis_arg', reason: 'did_matched', flow: { id: 'sales' } });
    expect(select(['+48 22 100 00 01'], 's').flow.id).toBe('sales');
  });

  it('without a Stasis argument, the dialplan extension is the DID', () => {
    expect(select([], '48221000001')).toMatchObject({ didFrom: 'exten', reason: 'did_matched', flow: { id: 'sales' } });
    expect(select([''], '48221000001')).toMatchObject({ didFrom: 'exten', reason: 'did_matched' });
  });

  it('extension `s` and no argument: the default flow, because no DID came', () => {
    expect(select([], 's')).toMatchObject({ did: 's', didFrom: 'exten', reason: 'default_no_did', flow: { id: 'hotline' } });
    expect(select([], '')).toMatchObject({ reason: 'default_no_did', flow: { id: 'hotline' } });
  });

  it('a DID no flow lists: the default flow, because the DID is unknown', () => {
    expect(select(['48229999999'], '48221000001')).toMatchObject({ did: '48229999999', reason: 'default_unknown_did', flow: { id: 'hotline' } });
  });
});

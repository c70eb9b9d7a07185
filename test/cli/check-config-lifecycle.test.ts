import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/cli/commands/check-config.js';
import { loadConfig } from '../../src/config/load.js';
import { GOOD, configFiles } from '../config/config-files.js';

// Issue 22: the withdrawal line's and the outbound guard's configuration checks.
const file = configFiles('cl-lifecycle-');
const OUTBOUND = `
  dial: { context: consentline-outbound-dial, extension: dial }
  refused: { context: consentline-outbound-dial, extension: refused }
`;
const withOutbound = (campaigns: string, flows = '') =>
  GOOD.replace('  fallback: { context: consentline-fallback, extension: s }\n', `  fallback: { context: consentline-fallback, extension: s }${OUTBOUND}`) +
  flows +
  `outbound:\n  dialRoute: dial\n  refusedRoute: refused\n  campaigns:\n${campaigns}`;
const MARKETING_FLOW = `  - id: callback
    dids: ["+48221000777"]
    legalBasis: consent_by_conduct
    menu: { "8": { action: clause }, "9": { action: objection } }
    marketing: { controller: ACME Sp. z o.o., channels: [phone] }
    defaultRoute: agents
    fallbackRoute: fallback
`;

function run(text: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, now: () => 0 };
  return { code: checkConfig.run([file(text)], io), out, err };
}

describe('config: outbound campaigns', () => {
  it('refuses (exit 78) a marketing campaign whose flow would ask for marketing consent', async () => {
    const r = run(withOutbound('    - { id: spring, purpose: marketing, flow: callback }\n', MARKETING_FLOW));
    expect(await r.code).toBe(78);
    expect(r.err.join('\n')).toMatch(/outbound\.campaigns\[0\]\.flow: flow "callback" asks for marketing consent: a marketing call must not ask for it, since asking is itself marketing \(PKE art\. 398\)/);
  });

  it('accepts the same flow for a service campaign, and a marketing campaign whose flow does not ask', async () => {
    expect(await run(withOutbound('    - { id: delivery, purpose: service, flow: callback }\n', MARKETING_FLOW)).code).toBe(0);
    expect(await run(withOutbound('    - { id: spring, purpose: marketing, flow: hotline }\n')).code).toBe(0);
  });

  it('names unknown routes and flows, duplicate campaign ids and unknown purposes', () => {
    const text = withOutbound('    - { id: a, purpose: marketing, flow: nope }\n    - { id: a, purpose: service }\n').replace('dialRoute: dial', 'dialRoute: nowhere');
    const r = loadConfig({ path: file(text), env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(expect.arrayContaining(['outbound.dialRoute: unknown route "nowhere"', 'outbound.campaigns[0].flow: unknown flow "nope"', 'outbound.campaigns[1].id: duplicate campaign id "a"']));
    const bad = loadConfig({ path: file(withOutbound('    - { id: a, purpose: cold-calls }\n')), env: {} });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).toMatch(/outbound\.campaigns\[0\]\.purpose: /);
  });
});

describe('config: withdrawal by phone', () => {
  const LINE = `  - id: line
    dids: ["+48227000000"]
    legalBasis: consent_by_conduct
    withdrawal: { dedicated: true }
    defaultRoute: agents
    fallbackRoute: fallback
`;

  it('a dedicated line needs no menu, and a menu key may offer withdrawal', () => {
    const r = loadConfig({ path: file(GOOD.replace('"9": { action: objection }', '"9": { action: objection }\n      "7": { action: withdraw }') + LINE), env: {} });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    expect(r.config.flows[1]!.withdrawal).toEqual({ dedicated: true, confirmDigit: '1', keepDigit: '2', timeZone: 'Europe/Warsaw' });
  });

  it('refuses a dedicated line that asks for marketing or has a menu, equal digits and an unknown time zone', () => {
    const bad = LINE.replace('withdrawal: { dedicated: true }', 'withdrawal: { dedicated: true, confirmDigit: "3", keepDigit: "3" }\n    marketing: { controller: ACME Sp. z o.o., channels: [phone] }\n    menu: { "1": { action: route, route: agents } }');
    const r = loadConfig({ path: file(GOOD + bad), env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'flows[1].withdrawal.keepDigit: must differ from confirmDigit',
        expect.stringMatching(/^flows\[1\]\.marketing\.enabled: a dedicated withdrawal line never asks for marketing consent/),
        'flows[1].menu: a dedicated withdrawal line has no menu: remove it',
      ]),
    );
    const tz = loadConfig({ path: file(GOOD + LINE.replace('dedicated: true', 'dedicated: true, timeZone: Mars/Olympus')), env: {} });
    expect(tz.ok).toBe(false);
    if (!tz.ok) expect(tz.problems.join('\n')).toMatch(/flows\[1\]\.withdrawal\.timeZone: must be an IANA time zone/);
  });

  it('an ordinary flow still needs its menu', () => {
    const r = loadConfig({ path: file(GOOD.replace(/    menu:\n(      .*\n)+/, '')), env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain('flows[0].menu: the menu needs at least one key');
  });
});

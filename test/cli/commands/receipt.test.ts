import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { evidenceApp, FULL_CONTROLLER, PEPPER, seedSample, type EvidenceApp } from '../../api/evidence-helpers.js';
import { expectValidKantara } from '../../api/kantara-schema.js';
import { cli } from '../helpers.js';

let t: EvidenceApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A configuration (JSON is YAML) on the test ledger, with the given controller. */
function writeConfig(dir: string, dbPath: string, controller: object): string {
  const file = join(dir, 'consentline.yaml');
  const config = {
    service: { dataDir: dir },
    database: { path: dbPath },
    evidence: { pepper: PEPPER },
    controller,
    routes: { agents: { context: 'after', extension: 'agents' } },
    flows: [{ id: 'main', default: true, legalBasis: 'consent_by_conduct', menu: { '1': { action: 'route', route: 'agents' }, '8': { action: 'clause' }, '9': { action: 'objection' } }, defaultRoute: 'agents', fallbackRoute: 'agents' }],
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('consentline receipt', () => {
  it('prints the Kantara receipt (default) or the ISO/IEC TS 27560 record; refusals are not consent', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const config = writeConfig(t.dir, t.path, FULL_CONTROLLER);
    const kantara = await cli(['receipt', 'c-04', '--config', config]);
    expect(kantara.code, kantara.err).toBe(0);
    const r = JSON.parse(kantara.out);
    expectValidKantara(r);
    expect(r.services[0].purposes.map((p: { purpose: string }) => p.purpose)).toEqual(['call recording']);
    const iso = await cli(['receipt', 'c-04', '--format', 'iso27560', '--config', config]);
    expect(iso.code, iso.err).toBe(0);
    expect(JSON.parse(iso.out).purposes.map((p: { event: Array<{ event_state: string }> }) => p.event[0]!.event_state)).toEqual(['given', 'refused']);
  });

  it('usage 2, unknown call 1, incomplete controller 1 naming the keys', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const config = writeConfig(t.dir, t.path, FULL_CONTROLLER);
    expect((await cli(['receipt', '--config', config])).code).toBe(2);
    expect((await cli(['receipt', 'c-01', '--format', 'pdf', '--config', config])).code).toBe(2);
    const unknown = await cli(['receipt', 'nope', '--config', config]);
    expect([unknown.code, unknown.err]).toEqual([1, 'no call.started evidence for call nope']);
    const partial = writeConfig(t.dir, t.path, { name: 'ACME', contact: 'DPO', email: 'dpo@example.pl' });
    const r = await cli(['receipt', 'c-01', '--config', partial]);
    expect([r.code, r.err]).toEqual([1, 'set controller.address, controller.phone, controller.policyUrl in the configuration to issue receipts']);
  });
});

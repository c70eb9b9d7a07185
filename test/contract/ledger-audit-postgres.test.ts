import { describe, expect, it } from 'vitest';
import { cli } from '../cli/helpers.js';
import { appendEvents, pgAuditLedger } from './ledger-audit-engines.js';
import { ledgerAuditContract } from './ledger-audit.contract.js';

ledgerAuditContract({ name: 'postgres', ledger: pgAuditLedger });

describe('ledger verify on PostgreSQL without a key', () => {
  it('compares the roots but says loudly that the signatures were not checked', async () => {
    const ledger = await pgAuditLedger();
    await appendEvents(ledger, 4);
    expect((await cli(['checkpoint', 'create', '--db', ledger.db, '--key', ledger.keyPath])).code).toBe(0);
    const r = await cli(['ledger', 'verify', '--db', ledger.db]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('WARNING: checkpoint signatures NOT checked: no key known');
    expect(r.out).toContain('checkpoints: 1 checked, 0 failed');
  });
});

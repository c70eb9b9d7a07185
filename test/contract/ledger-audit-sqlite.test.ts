import { sqliteAuditLedger } from './ledger-audit-engines.js';
import { ledgerAuditContract } from './ledger-audit.contract.js';

ledgerAuditContract({ name: 'sqlite', ledger: async () => sqliteAuditLedger() });

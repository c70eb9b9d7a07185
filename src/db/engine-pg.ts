import { AssuranceRepo } from '../assurance/repo.js';
import { pgExec } from '../assurance/sql-pg.js';
import { pgAssuranceLedger } from '../evidence/assurance-ledger.js';
import { AgentRepo } from '../joiners/repo.js';
import { PgTokenStore } from '../api/tokens-pg.js';
import { PgSessionStore } from '../console/sessions-pg.js';
import { openPgEvidence } from '../evidence/open-store.js';
import { openPgReadSide } from '../evidence/open-read-side.js';
import { openPgEvidenceStore, PgEvidenceStore } from '../evidence/pg-store.js';
import { PgRecordingRepo } from '../recordings/pipeline/repo-pg.js';
import { PgRetentionRepo } from '../retention/repo-pg.js';
import type { Engine } from './engine-port.js';
import { assembleServiceDatabase } from './engine-service.js';
import { createPgPool, openPg } from './pg.js';
import { describeDatabaseTarget } from './pg-url.js';

const CLI_APPLICATION = 'consentline-cli';

/** The stores on the PostgreSQL database at `url`: one pool per opened thing. */
export function pgEngine(url: string): Engine {
  const target = { kind: 'postgres', url } as const;
  const description = describeDatabaseTarget(target);
  return {
    target,
    description,
    file: undefined,
    exists: () => true,
    /**
     * The store's pool (which the tokens share), a read-side pool, and one pool for the
     * recordings and retention work tables, where claims and leases let instances share the work.
     */
    async openService(opts = {}) {
      const { store, pool: storePool } = await openPgEvidence(url, opts.clock ? { clock: opts.clock } : {});
      return assembleServiceDatabase(store, async (onClose) => {
        const readSide = await openPgReadSide(url);
        onClose(() => readSide.close());
        const { pool } = await openPg({ url, max: 4, applicationName: 'consentline-work' });
        onClose(() => pool.end());
        const recordings = new PgRecordingRepo(pool);
        return {
          engine: 'postgres',
          description,
          tokens: new PgTokenStore(storePool),
          consoleSessions: new PgSessionStore(storePool),
          readSide,
          recordings,
          recordingsRead: recordings,
          retention: new PgRetentionRepo(pool),
          assurance: { repo: new AssuranceRepo(pgExec(pool)), ledger: pgAssuranceLedger(pool) },
          agents: new AgentRepo(pgExec(pool)),
        };
      });
    },
    openEvidenceStore: (opts = {}) => openPgEvidence(url, opts),
    openStore: () => openPgEvidenceStore({ url, max: 2 }),
    openReadSide: (opts = {}) => openPgReadSide(url, opts),
    async openTokens() {
      const { pool } = await openPg({ url, max: 1, applicationName: CLI_APPLICATION });
      return { tokens: new PgTokenStore(pool), close: () => pool.end() };
    },
    async openRetentionDatabase() {
      const { pool } = await openPg({ url, max: 3, applicationName: CLI_APPLICATION });
      try {
        const evidence = await PgEvidenceStore.create(pool, { ownsPool: true });
        return { evidence, tokens: new PgTokenStore(pool), repo: new PgRetentionRepo(pool), close: () => evidence.close() };
      } catch (err) {
        await pool.end().catch(() => undefined);
        throw err;
      }
    },
    async openAssuranceDatabase() {
      const { pool } = await openPg({ url, max: 3, applicationName: CLI_APPLICATION });
      try {
        const evidence = await PgEvidenceStore.create(pool, { ownsPool: true });
        return { repo: new AssuranceRepo(pgExec(pool)), ledger: pgAssuranceLedger(pool), evidence, tokens: new PgTokenStore(pool), close: () => evidence.close() };
      } catch (err) {
        await pool.end().catch(() => undefined);
        throw err;
      }
    },
    async openAgentsDatabase() {
      const { pool } = await openPg({ url, max: 2, applicationName: CLI_APPLICATION });
      try {
        const evidence = await PgEvidenceStore.create(pool, { ownsPool: true });
        return { repo: new AgentRepo(pgExec(pool)), evidence, tokens: new PgTokenStore(pool), close: () => evidence.close() };
      } catch (err) {
        await pool.end().catch(() => undefined);
        throw err;
      }
    },
    openRecordingDb() {
      const pool = createPgPool({ url, max: 1, applicationName: CLI_APPLICATION });
      return { recordings: new PgRecordingRepo(pool), tokens: new PgTokenStore(pool), close: () => pool.end() };
    },
  };
}

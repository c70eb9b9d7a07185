import { existsSync } from 'node:fs';
import { SqliteTokenStore } from '../api/tokens.js';
import { SqliteSessionStore } from '../console/sessions-sqlite.js';
import { sqliteAssurance, sqliteExec } from '../assurance/sql-sqlite.js';
import { AgentRepo } from '../joiners/repo.js';
import { openSqliteEvidence } from '../evidence/open-store.js';
import { openSqliteReadSide } from '../evidence/open-read-side.js';
import { openSqliteEvidenceStore } from '../evidence/sqlite-store.js';
import { RecordingRepo } from '../recordings/pipeline/repo.js';
import { SqliteRetentionRepo } from '../retention/repo-sqlite.js';
import type { Engine } from './engine-port.js';
import { assembleServiceDatabase } from './engine-service.js';
import { describeDatabaseTarget } from './pg-url.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';

/** The stores on the SQLite file at `path`: one connection per opened thing. */
export function sqliteEngine(path: string): Engine {
  const target = { kind: 'sqlite', path } as const;
  const description = describeDatabaseTarget(target);
  return {
    target,
    description,
    file: path,
    exists: () => existsSync(path),
    /**
     * The store on its own writer thread, and one connection each for the API (tokens, queries,
     * checkpoints, recordings read), the recordings pipeline and retention.
     */
    async openService(opts = {}) {
      const { store } = await openSqliteEvidence(path, opts.clock ? { clock: opts.clock } : {});
      return assembleServiceDatabase(store, async (onClose) => {
        const connection = (): SqliteDatabase => {
          const { db } = openSqlite({ path });
          onClose(async () => void db.close());
          return db;
        };
        const apiDb = connection();
        const readSide = openSqliteReadSide(path);
        onClose(() => readSide.close());
        return {
          engine: 'sqlite',
          description,
          tokens: new SqliteTokenStore(apiDb),
          consoleSessions: new SqliteSessionStore(apiDb),
          readSide,
          recordings: new RecordingRepo(connection()),
          recordingsRead: new RecordingRepo(apiDb),
          retention: new SqliteRetentionRepo(connection()),
          assurance: sqliteAssurance(connection()),
          agents: new AgentRepo(sqliteExec(connection())),
        };
      });
    },
    openEvidenceStore: (opts = {}) => openSqliteEvidence(path, opts),
    openStore: () => openSqliteEvidenceStore({ path, mustExist: true }),
    openReadSide: async (opts = {}) => openSqliteReadSide(path, opts),
    async openTokens() {
      const { db } = openSqlite({ path, mustExist: true });
      return { tokens: new SqliteTokenStore(db), close: async () => void db.close() };
    },
    async openRetentionDatabase() {
      const evidence = await openSqliteEvidenceStore({ path, mustExist: true });
      const { db } = openSqlite({ path });
      return {
        evidence,
        tokens: new SqliteTokenStore(db),
        repo: new SqliteRetentionRepo(db),
        async close() {
          await evidence.close();
          db.close();
        },
      };
    },
    async openAssuranceDatabase() {
      const evidence = await openSqliteEvidenceStore({ path, mustExist: true });
      const { db } = openSqlite({ path });
      return {
        ...sqliteAssurance(db),
        evidence,
        tokens: new SqliteTokenStore(db),
        async close() {
          await evidence.close();
          db.close();
        },
      };
    },
    async openAgentsDatabase() {
      const evidence = await openSqliteEvidenceStore({ path, mustExist: true });
      const { db } = openSqlite({ path });
      return {
        repo: new AgentRepo(sqliteExec(db)),
        evidence,
        tokens: new SqliteTokenStore(db),
        async close() {
          await evidence.close();
          db.close();
        },
      };
    },
    openRecordingDb() {
      if (!existsSync(path)) return null;
      const { db } = openSqlite({ path, mustExist: true });
      return { recordings: new RecordingRepo(db), tokens: new SqliteTokenStore(db), close: async () => void db.close() };
    },
  };
}

import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';
import { compareRegistries, deriveMarketingRegistry, type MarketingEntry } from './marketing.js';
import {
  MARKETING_COLUMNS,
  marketingRowValues,
  sourceSql,
  toMarketingEntry,
  toSourceEvent,
  type MarketingRegistryRepo,
  type MarketingRow,
  type RegistryCheck,
  type SourceRow,
} from './marketing-rows.js';

const CHUNK = 500;
const SOURCE = sourceSql((column, name) => `json_extract(${column}, '$.${name}')`);

/** {@link MarketingRegistryRepo} on the SQLite evidence file. */
export class SqliteMarketingRegistry implements MarketingRegistryRepo {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async lookup(lookupKeys: readonly string[]): Promise<Map<string, MarketingEntry>> {
    const out = new Map<string, MarketingEntry>();
    for (let i = 0; i < lookupKeys.length; i += CHUNK) {
      const keys = lookupKeys.slice(i, i + CHUNK);
      const rows = this.#byKeys(keys.length).all(...keys) as MarketingRow[];
      for (const r of rows) out.set(r.lookup_key, toMarketingEntry(r));
    }
    return out;
  }

  async check(): Promise<RegistryCheck> {
    // One read transaction: the table and the events from the same snapshot.
    return this.#db.transaction(() => {
      const derived = this.#derive();
      const differences = compareRegistries(this.#stored(), derived);
      return { entries: derived.size, differences };
    })();
  }

  async rebuild(): Promise<{ entries: number; replacedDifferences: number }> {
    const insert = this.#db.prepare(`INSERT INTO marketing_consents (${MARKETING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // IMMEDIATE: the write lock is held from the derivation to the commit, so no append slips between.
    return this.#db
      .transaction(() => {
        const derived = this.#derive();
        const replacedDifferences = compareRegistries(this.#stored(), derived).length;
        this.#db.prepare('DELETE FROM marketing_consents').run();
        for (const e of derived.values()) insert.run(...marketingRowValues(e));
        return { entries: derived.size, replacedDifferences };
      })
      .immediate();
  }

  // Statements by key count, prepared once each (a full chunk is the common case).
  readonly #statements = new Map<number, Statement>();
  #byKeys(n: number): Statement {
    let st = this.#statements.get(n);
    if (!st) {
      st = this.#db.prepare(`SELECT ${MARKETING_COLUMNS} FROM marketing_consents WHERE lookup_key IN (${Array(n).fill('?').join(', ')})`);
      if (this.#statements.size < 64) this.#statements.set(n, st);
    }
    return st;
  }

  #derive(): Map<string, MarketingEntry> {
    const rows = this.#db.prepare(SOURCE).iterate() as IterableIterator<SourceRow>;
    return deriveMarketingRegistry((function* () {
      for (const r of rows) yield toSourceEvent(r);
    })());
  }

  #stored(): Map<string, MarketingEntry> {
    const rows = this.#db.prepare(`SELECT ${MARKETING_COLUMNS} FROM marketing_consents`).all() as MarketingRow[];
    return new Map(rows.map((r) => [r.lookup_key, toMarketingEntry(r)]));
  }
}

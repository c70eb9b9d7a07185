import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';
import { compareRegistries, deriveMarketingRegistry, type MarketingEntry } from './marketing.js';
import {
  entriesFromJson,
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

/**
 * The look-up in one statement for any number of keys (a JSON array: no chunks under SQLite's
 * limit on variables), the rows coming back as one JSON text ({@link entriesFromJson}): turning
 * ~700 rows of 9 columns into JS values one at a time cost more than finding them (issue 22).
 * channels is JSON already; json() puts it in as it is.
 */
const LOOKUP = `SELECT json_group_array(json_array(lookup_key, state, since, seq, call_id, how, controller, json(channels), text_version))
  FROM marketing_consents WHERE lookup_key IN (SELECT value FROM json_each(?))`;
const SOURCE = sourceSql((column, name) => `json_extract(${column}, '$.${name}')`);

/** {@link MarketingRegistryRepo} on the SQLite evidence file. */
export class SqliteMarketingRegistry implements MarketingRegistryRepo {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async lookup(lookupKeys: readonly string[]): Promise<Map<string, MarketingEntry>> {
    this.#lookup ??= this.#db.prepare(LOOKUP).pluck();
    return entriesFromJson(this.#lookup.get(JSON.stringify(lookupKeys)) as string);
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

  #lookup: Statement | undefined;

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

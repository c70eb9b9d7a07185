import type { PgPool } from '../db/pg.js';
import { withPgTransaction } from '../db/pg-transaction.js';
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

const SOURCE = sourceSql((column, name) => `(${column}->>'${name}')`);
/** The rows found as one JSON text ({@link entriesFromJson}), as on SQLite. */
const LOOKUP = `SELECT coalesce(json_agg(json_build_array(lookup_key, state, since, seq, call_id, how, controller, channels::json, text_version)), '[]')::text AS found
  FROM marketing_consents WHERE lookup_key = ANY($1::text[])`;
const COLUMN_TYPES = ['text', 'text', 'text', 'bigint', 'text', 'text', 'text', 'text', 'text'];

/** {@link MarketingRegistryRepo} on the PostgreSQL evidence database. */
export class PgMarketingRegistry implements MarketingRegistryRepo {
  readonly #pool: PgPool;

  constructor(pool: PgPool) {
    this.#pool = pool;
  }

  async lookup(lookupKeys: readonly string[]): Promise<Map<string, MarketingEntry>> {
    const { rows } = await this.#pool.query<{ found: string }>(LOOKUP, [[...lookupKeys]]);
    return entriesFromJson(rows[0]!.found);
  }

  async check(): Promise<RegistryCheck> {
    // REPEATABLE READ: the table and the events from the same snapshot.
    return this.#inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (q) => {
      const derived = await this.#derive(q);
      return { entries: derived.size, differences: compareRegistries(await this.#stored(q), derived) };
    });
  }

  async rebuild(): Promise<{ entries: number; replacedDifferences: number }> {
    return this.#inTransaction('BEGIN', async (q) => {
      // EXCLUSIVE blocks the trigger's writes: an append that reaches the registry waits for
      // this commit and then applies on top of the rebuilt table.
      await q('LOCK TABLE marketing_consents IN EXCLUSIVE MODE');
      const derived = await this.#derive(q);
      const replacedDifferences = compareRegistries(await this.#stored(q), derived).length;
      await q('DELETE FROM marketing_consents');
      const entries = [...derived.values()];
      const columns: unknown[][] = COLUMN_TYPES.map(() => []);
      for (const e of entries) marketingRowValues(e).forEach((v, i) => columns[i]!.push(v));
      if (entries.length) {
        await q(
          `INSERT INTO marketing_consents (${MARKETING_COLUMNS}) SELECT * FROM unnest(${COLUMN_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`,
          columns,
        );
      }
      return { entries: entries.length, replacedDifferences };
    });
  }

  async #derive(q: Query): Promise<Map<string, MarketingEntry>> {
    const rows = await q<SourceRow>(SOURCE);
    return deriveMarketingRegistry(rows.map(toSourceEvent));
  }

  async #stored(q: Query): Promise<Map<string, MarketingEntry>> {
    const rows = await q<MarketingRow>(`SELECT ${MARKETING_COLUMNS} FROM marketing_consents`);
    return new Map(rows.map((r) => [r.lookup_key, toMarketingEntry(r)]));
  }

  #inTransaction<T>(begin: string, fn: (q: Query) => Promise<T>): Promise<T> {
    return withPgTransaction(this.#pool, (client) => fn(async (sql, values) => (await client.query(sql, values)).rows), begin);
  }
}

type Query = <R = Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<R[]>;

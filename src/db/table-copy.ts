import type { PgQueryable } from './pg.js';
import type { SqliteDatabase } from './sqlite.js';

/**
 * One table as `consentline migrate-store` copies it from SQLite to PostgreSQL: its columns (the
 * first is the key the copy pages by) and their PostgreSQL types. Each module names its own
 * tables (src/evidence/ledger-copy.ts the ledger's); this file knows no table.
 */
export interface CopiedTable {
  readonly cols: readonly string[];
  readonly types: readonly string[];
  /** Keyed by an integer (paged from below every integer); else by text. */
  readonly integerKey?: boolean;
  /** Rows PostgreSQL keeps out (e.g. `ON CONFLICT (tree_size) DO NOTHING`), counted as left out. */
  readonly onConflict?: string;
  /** The key is a serial id: copied ids keep their values, so the identity goes on after the highest. */
  readonly serialId?: boolean;
}

export type CopiedTables = Readonly<Record<string, CopiedTable>>;

/** Rows of `table` in the SQLite source. */
export function sourceRowCount(db: SqliteDatabase, table: string): number {
  return db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
}

/** The tables of `tables` that already hold rows on the PostgreSQL target, with their counts. */
export async function nonEmptyTargetTables(client: PgQueryable, tables: CopiedTables): Promise<Array<{ table: string; rows: number }>> {
  const out: Array<{ table: string; rows: number }> = [];
  for (const table of Object.keys(tables)) {
    const rows = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    if (rows > 0) out.push({ table, rows });
  }
  return out;
}

/**
 * Copies `table` page by page (values exactly as stored), calling `onPage` with the rows read so
 * far; returns the rows read and how many of them the target left out (see `onConflict`).
 */
export async function copyTable(
  db: SqliteDatabase,
  client: PgQueryable,
  table: string,
  spec: CopiedTable,
  batch: number,
  onPage: (done: number) => void,
): Promise<{ readonly read: number; readonly leftOut: number }> {
  let read = 0;
  let leftOut = 0;
  for (const rows of pages(db, table, spec, batch)) {
    leftOut += await insertRows(client, table, spec, rows);
    read += rows.length;
    onPage(read);
  }
  if (spec.serialId) {
    const key = spec.cols[0];
    await client.query(`SELECT setval(pg_get_serial_sequence('${table}', '${key}'), GREATEST((SELECT max(${key}) FROM ${table}), 1), (SELECT count(*) > 0 FROM ${table}))`);
  }
  return { read, leftOut };
}

function* pages(db: SqliteDatabase, table: string, spec: CopiedTable, size: number): Generator<unknown[][]> {
  const key = spec.cols[0];
  const stmt = db.prepare(`SELECT ${spec.cols.join(', ')} FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ?`).raw(true);
  let after: unknown = spec.integerKey ? Number.MIN_SAFE_INTEGER : '';
  for (;;) {
    const rows = stmt.all(after, size) as unknown[][];
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]![0];
    if (rows.length < size) return;
  }
}

async function insertRows(client: PgQueryable, table: string, spec: CopiedTable, rows: readonly unknown[][]): Promise<number> {
  const arrays = spec.cols.map((_, i) => rows.map((r) => r[i] ?? null));
  const unnest = spec.types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  const conflict = spec.onConflict ? ` ${spec.onConflict}` : '';
  const r = await client.query(`INSERT INTO ${table} (${spec.cols.join(', ')}) SELECT * FROM unnest(${unnest})${conflict}`, arrays);
  return rows.length - (r.rowCount ?? rows.length);
}

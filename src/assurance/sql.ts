/**
 * The few operations assurance's repository needs from a database, so one repository (repo.ts)
 * serves both engines: SQL is written with `?` placeholders, which the PostgreSQL side numbers.
 */
export interface SqlExec {
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** `fn` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  tx<T>(fn: (x: SqlExec) => Promise<T>): Promise<T>;
}

/** `?` → `$1`, `$2`… (the SQL assurance writes has no `?` inside literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

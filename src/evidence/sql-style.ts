/** How the two engines' SQL differs where the read-side queries are written once for both. */
export interface SearchSqlStyle {
  /** The placeholder for the n-th value (1-based): `@p1` in SQLite, `$1` in PostgreSQL. */
  placeholder(n: number): string;
  /** Appended to call_id where it is ordered or compared, so both engines order ids bytewise. */
  readonly idCollation: string;
}

import type pg from 'pg';

/**
 * Runs `fn` in one transaction on a client of `pool`: COMMIT when it returns, ROLLBACK when it
 * throws (the error is rethrown). A client whose ROLLBACK failed is discarded, not reused.
 * `begin` replaces the plain BEGIN (e.g. 'BEGIN ISOLATION LEVEL SERIALIZABLE').
 */
export async function withPgTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let healthy = true;
  try {
    await client.query(begin);
    try {
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        healthy = false;
      });
      throw err;
    }
  } finally {
    client.release(!healthy);
  }
}

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withPgTransaction } from '../../src/db/pg-transaction.js';
import { testDatabase } from './pg-helpers.js';

const dbUrl = testDatabase('cl_tx');
let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: dbUrl(), max: 2 });
  await pool.query('CREATE TABLE t (v integer)');
});
afterAll(async () => {
  await pool.end();
});

const values = async () => (await pool.query<{ v: number }>('SELECT v FROM t ORDER BY v')).rows.map((r) => r.v);

describe('withPgTransaction', () => {
  it('commits what fn wrote and returns its result', async () => {
    const out = await withPgTransaction(pool, async (c) => {
      await c.query('INSERT INTO t (v) VALUES (1), (2)');
      return 'done';
    });
    expect(out).toBe('done');
    expect(await values()).toEqual([1, 2]);
  });

  it('rolls back everything fn wrote when it throws, and rethrows', async () => {
    const boom = new Error('boom');
    await expect(
      withPgTransaction(pool, async (c) => {
        await c.query('INSERT INTO t (v) VALUES (3)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await values()).toEqual([1, 2]);
  });

  it('rolls back on a failing statement and leaves the pool usable', async () => {
    await expect(
      withPgTransaction(pool, async (c) => {
        await c.query('INSERT INTO t (v) VALUES (4)');
        await c.query('SELECT 1/0');
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await values()).toEqual([1, 2]);
    await withPgTransaction(pool, (c) => c.query('INSERT INTO t (v) VALUES (5)'));
    expect(await values()).toEqual([1, 2, 5]);
    expect(pool.waitingCount).toBe(0);
  });

  it('opens the transaction with the given BEGIN', async () => {
    const level = await withPgTransaction(pool, async (c) => (await c.query<{ transaction_isolation: string }>('SHOW transaction_isolation')).rows[0]!.transaction_isolation, 'BEGIN ISOLATION LEVEL SERIALIZABLE');
    expect(level).toBe('serializable');
  });
});

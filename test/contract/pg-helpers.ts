import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

/** The local PostgreSQL the tests use (trust auth). */
export const PG_SERVER = process.env.CONSENTLINE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * A database of its own for one test file, created before its tests and dropped after, so
 * parallel runs never meet. Returns a getter for its URL.
 */
export function testDatabase(prefix = 'cl_test'): () => string {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  let url: string | null = null;
  beforeAll(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    url = `${PG_SERVER}/${name}`;
  });
  afterAll(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  return () => {
    if (!url) throw new Error('test database not created yet');
    return url;
  };
}

async function admin(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

let counter = 0;
/** A schema name not used before in this process. */
export function freshSchema(): string {
  counter += 1;
  return `l${counter}_${randomBytes(3).toString('hex')}`;
}

import { onTestFinished } from 'vitest';
import { PgTokenStore } from '../../src/api/tokens-pg.js';
import { PgSessionStore } from '../../src/console/sessions-pg.js';
import { openPg } from '../../src/db/pg.js';
import { freshSchema, testDatabase } from '../contract/pg-helpers.js';
import { sessionContract } from './sessions.contract.js';

const dbUrl = testDatabase('cl_console');

sessionContract({
  name: 'postgres',
  async open() {
    const { pool } = await openPg({ url: dbUrl(), schema: freshSchema(), max: 2 });
    onTestFinished(() => pool.end());
    return { store: new PgSessionStore(pool), tokens: new PgTokenStore(pool) };
  },
});

import { SqliteTokenStore } from '../../src/api/tokens.js';
import { SqliteSessionStore } from '../../src/console/sessions-sqlite.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { sessionContract } from './sessions.contract.js';

sessionContract({
  name: 'sqlite',
  async open() {
    const { db } = openSqlite({ path: ':memory:' });
    return { store: new SqliteSessionStore(db), tokens: new SqliteTokenStore(db) };
  },
});

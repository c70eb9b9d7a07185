import type { PgQueryable } from '../db/pg.js';
import { ChainVerifier, GENESIS_ANCHOR } from './chain.js';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './sqlite-rows.js';
import type { VerifyResult } from './types.js';

// Reads of a PostgreSQL ledger on a caller's own client (e.g. inside migrate-store's copy transaction).

/** The ledger's last event (seq and hash), or undefined when it is empty. */
export async function pgLedgerHead(db: PgQueryable): Promise<{ seq: number; hash: string } | undefined> {
  return (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1')).rows[0];
}

/** Verifies the whole chain as the transaction sees it, in keyset pages. */
export async function verifyPgChain(client: PgQueryable, page: number, onPage: (checked: number) => void): Promise<VerifyResult> {
  const verifier = new ChainVerifier(GENESIS_ANCHOR);
  let next = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const { rows } = await client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2`, [next, page]);
    for (const row of rows) if (verifier.check(toStoredEvent(row))) return verifier.result();
    onPage(verifier.checked);
    if (rows.length < page) return verifier.result();
    next = rows[rows.length - 1]!.seq + 1;
  }
}

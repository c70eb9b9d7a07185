import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach } from 'vitest';
import type { Clock } from '../../src/shared/clock.js';
import { openSqliteEvidenceStore, type SqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import type { CallOpen } from '../../src/evidence/store.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A fresh directory removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-ev-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function tempDbPath(): string {
  return join(tempDir(), 'ledger.sqlite');
}

/** A clock that ticks 1 ms per reading from a fixed start. */
export function steppingClock(start = Date.parse('2026-03-01T09:00:00.000Z')): Clock {
  let t = start;
  return { now: () => t++ };
}

export async function openTestStore(path = tempDbPath(), maxBatch?: number): Promise<SqliteEvidenceStore> {
  const store = await openSqliteEvidenceStore({ path, clock: steppingClock(), ...(maxBatch ? { maxBatch } : {}) });
  cleanups.push(() => store.close());
  return store;
}

/** A raw connection for tampering, with the append-only triggers dropped as an attacker would. */
export function tamper(path: string, fn: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
    fn(db);
  } finally {
    db.close();
  }
}

export function callOpen(callId: string, over: Partial<CallOpen> = {}): CallOpen {
  return {
    callId,
    startedAt: '2026-03-01T09:00:00.000Z',
    flowId: 'main',
    did: '+48221234567',
    legalBasis: 'art6-1-f',
    server: 'pbx-1',
    language: null,
    ...over,
  };
}

/** Appends `n` prompt events across a few calls, sequentially. */
export async function seed(store: SqliteEvidenceStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await store.append({ callId: `call-${i % 3}`, kind: 'prompt.played', data: { promptId: 'notice', i } });
  }
}

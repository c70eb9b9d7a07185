import { appendFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { seed, openTestStore, tamper, tempDbPath, tempDir } from '../evidence/helpers.js';
import { cli, cliProcess } from './helpers.js';

describe('consentline (process)', () => {
  it('verify: exit 0 when intact, 1 once tampered', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    await seed(store, 5);
    await store.close();

    const ok = cliProcess(['ledger', 'verify'], { CONSENTLINE_DB: path });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('ledger OK: 5 events verified');

    tamper(path, (db) => db.prepare('UPDATE events SET seq = 10 WHERE seq = 3').run());
    const broken = cliProcess(['ledger', 'verify', '--db', path]);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('ledger BROKEN at seq 4: seq_gap');
  });

  it('help lists every command; an unknown command exits 2', () => {
    const help = cliProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('consentline ledger verify');
    expect(help.out).toContain('consentline evidence <call-id>');
    const unknown = cliProcess(['ledger', 'burn']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command: ledger burn');
  });
});

describe('a changed migration', () => {
  it('stops the store with a one-line coded message, not a stack trace', async () => {
    const dir = join(tempDir(), 'migrations');
    cpSync(fileURLToPath(new URL('../../migrations/sqlite', import.meta.url)), dir, { recursive: true });
    const path = tempDbPath();
    await (await openSqliteEvidenceStore({ path, migrationsDir: dir })).close();
    appendFileSync(join(dir, '0001_ledger.sql'), '\nCREATE TABLE sneaky (x INTEGER);\n');

    const err = await openSqliteEvidenceStore({ path, migrationsDir: dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });

    // The CLI shows such errors as `error CODE: message` with exit 1 (the operation failed).
    const { dispatch } = await import('../../src/cli/dispatch.js');
    const lines: string[] = [];
    const failing = {
      name: 'boom',
      summary: '',
      usage: 'consentline boom',
      run: () => Promise.reject(err),
    };
    const code = await dispatch(['boom'], { out: () => {}, err: (l) => lines.push(l), env: {}, now: () => 0 }, [failing]);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error MIGRATION_CHECKSUM_MISMATCH: migration 0001_ledger\.sql changed after it was applied/);
    expect(lines[0]).not.toContain('    at ');
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { tempDbPath } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));

describe('durability', () => {
  it('every acknowledged append survives a SIGKILL right after it', async () => {
    const path = tempDbPath();
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    const acked = new Map<number, string>();
    for await (const line of createInterface({ input: child.stdout })) {
      const [seq, hash] = line.split(' ');
      acked.set(Number(seq), hash!);
      if (acked.size === 400) child.kill('SIGKILL');
    }
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(400);

    const store = await openSqliteEvidenceStore({ path, mustExist: true });
    try {
      const stored = new Map<number, string>();
      for await (const e of store.events()) stored.set(e.seq, e.hash);
      for (const [seq, hash] of acked) expect(stored.get(seq)).toBe(hash);
      expect(await store.verify()).toMatchObject({ ok: true, checked: stored.size });
    } finally {
      await store.close();
    }
  });
});

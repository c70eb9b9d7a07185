import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { tempDbPath } from '../evidence/helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/serve-until-killed.ts', import.meta.url));

describe('the access log under a crash', () => {
  it('every timeline response that was sent has its access.logged entry after a SIGKILL mid-load', async () => {
    const path = tempDbPath();
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const [port, token] = String((await lines.next()).value).split(' ');
    const answered: string[] = [];
    let n = 0;
    let killed = false;
    // 16 clients, each asking for the timeline with a reason of its own, until the kill.
    const client = async () => {
      while (!killed) {
        const reason = `r-${n++}`;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/calls/c1/timeline?reason=${reason}`, { headers: { authorization: `Bearer ${token}` } });
          if (res.status === 200) {
            await res.arrayBuffer();
            answered.push(reason);
          }
        } catch {
          return; // the server is gone
        }
        if (answered.length >= 300 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, client));
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    expect(answered.length).toBeGreaterThanOrEqual(300);

    const store = await openSqliteEvidenceStore({ path, mustExist: true });
    try {
      const logged = new Set<string>();
      for await (const e of store.events()) if (e.kind === 'access.logged') logged.add(String(e.data.reason));
      const lost = answered.filter((r) => !logged.has(r));
      expect(lost).toEqual([]);
      expect(await store.verify()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
  }, 120_000);
});

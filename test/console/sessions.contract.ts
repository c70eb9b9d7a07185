/** The console_sessions store on either engine, and the expiry rules above it. */
import { describe, expect, it } from 'vitest';
import type { TokenStore } from '../../src/api/tokens.js';
import { ConsoleSessions, sha256Hex, type ConsoleSessionStore } from '../../src/console/sessions.js';

export interface SessionEngine {
  readonly name: string;
  open(): Promise<{ store: ConsoleSessionStore; tokens: TokenStore }>;
}

const settings = { idleMinutes: 30, absoluteHours: 12, secureCookie: 'auto' as const };

export function sessionContract(engine: SessionEngine): void {
  describe(`console sessions on ${engine.name}`, () => {
    it('stores only the hash of the cookie, finds the session with its token, and ends it on sign-out', async () => {
      const { store, tokens } = await engine.open();
      const { info } = await tokens.create('ann', 'dpo', 'ann@example');
      const sessions = new ConsoleSessions(store, settings);
      const { cookieValue, csrf } = await sessions.open(info);
      expect(await store.find(cookieValue)).toBeNull();
      const found = await store.find(sha256Hex(cookieValue));
      expect(found).toMatchObject({ tokenId: info.id, csrf, token: { id: info.id, role: 'dpo', subject: 'ann@example' } });
      expect((await sessions.resolve(cookieValue))?.token.name).toBe('ann');
      expect(await sessions.resolve('x'.repeat(43))).toBeNull();
      expect(await sessions.resolve('not a cookie')).toBeNull();
      await sessions.close(cookieValue);
      expect(await sessions.resolve(cookieValue)).toBeNull();
    });

    it('ends every session of a revoked token', async () => {
      const { store, tokens } = await engine.open();
      const { info } = await tokens.create('bob', 'auditor');
      const sessions = new ConsoleSessions(store, settings);
      const a = await sessions.open(info);
      const b = await sessions.open(info);
      await tokens.revoke(info.id);
      expect(await sessions.resolve(a.cookieValue)).toBeNull();
      expect(await sessions.resolve(b.cookieValue)).toBeNull();
    });

    it('expires after the idle time without requests, is kept alive by requests, and ends at the absolute limit regardless', async () => {
      const { store, tokens } = await engine.open();
      const { info } = await tokens.create('cy', 'auditor');
      let now = Date.parse('2026-12-07T08:00:00Z');
      const sessions = new ConsoleSessions(store, settings, () => new Date(now));
      const idle = await sessions.open(info);
      const busy = await sessions.open(info);
      for (let i = 0; i < 40; i += 1) {
        now += 20 * 60_000; // a request every 20 minutes
        const alive = await sessions.resolve(busy.cookieValue);
        if (now - Date.parse('2026-12-07T08:00:00Z') <= 12 * 3_600_000) expect(alive, `after ${(i + 1) * 20} min`).not.toBeNull();
        else {
          expect(alive, 'past the absolute limit').toBeNull();
          break;
        }
        if (i === 1) expect(await sessions.resolve(idle.cookieValue), 'idle 40 minutes').toBeNull();
      }
      expect(now - Date.parse('2026-12-07T08:00:00Z')).toBe(12 * 3_600_000 + 20 * 60_000);
      // A sign-in clears ended and expired rows: only the new session is left.
      const fresh = await sessions.open(info);
      expect(await store.purge('0000', '0000')).toBe(0);
      expect(await sessions.resolve(fresh.cookieValue)).not.toBeNull();
      expect(await store.find(sha256Hex(idle.cookieValue))).toBeNull();
    });
  });
}

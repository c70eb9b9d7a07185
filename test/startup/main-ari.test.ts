import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { crossCheck } from '../../src/config/cross-checks.js';
import { realAri } from '../../src/main-ari.js';
import { AriEmulator } from '../emulators/ari/emulator.js';
import { captureLogger } from '../telephony/ari/helpers.js';

/** Issue 18 defect 4: the REST pool never opens more connections than Asterisk's http.conf sessionlimit allows. */
const base = { routes: { a: { context: 'c', extension: 'e' } }, flows: [{ id: 'f', default: true, legalBasis: 'consent_by_conduct', menu: {}, defaultRoute: 'a', fallbackRoute: 'a' }] };
const config = (ari: Record<string, unknown> = {}) => ConfigSchema.parse({ ...base, ari });

let emu: AriEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

describe('ARI REST connection pool', () => {
  it('with the default config, a burst of 300 requests never holds more than 64 connections, and Asterisk (sessionlimit 100) drops none', async () => {
    emu = await AriEmulator.start({ sessionLimit: 100 });
    const c = config({ url: emu.url, username: emu.username, password: emu.password });
    const ari = realAri(c, captureLogger().logger);
    try {
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => ari.getChannel(`nope-${i}`)));
      expect(answers.every((a) => a === null)).toBe(true);
      expect(emu.maxConcurrentSessions).toBeGreaterThan(1);
      expect(emu.maxConcurrentSessions).toBeLessThanOrEqual(64);
      expect(emu.sessionsRefused).toBe(0);
    } finally {
      await ari.close();
    }
  });

  it('ari.maxSockets bounds the pool exactly', async () => {
    emu = await AriEmulator.start({ sessionLimit: 100 });
    const ari = realAri(config({ url: emu.url, username: emu.username, password: emu.password, maxSockets: 5 }), captureLogger().logger);
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => ari.getChannel(`nope-${i}`)));
      expect(emu.maxConcurrentSessions).toBe(5);
    } finally {
      await ari.close();
    }
  });

  it('the emulator drops connections past its sessionlimit, as Asterisk does (so the tests above could fail)', async () => {
    emu = await AriEmulator.start({ sessionLimit: 10 });
    const ari = realAri(config({ url: emu.url, username: emu.username, password: emu.password, maxSockets: 40, httpSessionLimit: 56 }), captureLogger().logger);
    try {
      await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ari.getChannel(`nope-${i}`)));
      expect(emu.sessionsRefused).toBeGreaterThan(0);
      expect(emu.maxConcurrentSessions).toBe(10);
    } finally {
      await ari.close();
    }
  });

  it('the config refuses a pool that does not stay 16 below http.conf sessionlimit', () => {
    const ariProblems = (ari?: Record<string, unknown>) => crossCheck(config(ari)).filter((p) => p.path[0] === 'ari');
    expect(ariProblems()).toEqual([]);
    expect(ariProblems({ maxSockets: 84 })).toEqual([]);
    const problems = ariProblems({ maxSockets: 90 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: ['ari', 'maxSockets'] });
    expect(problems[0]!.message).toContain('sessionlimit');
    expect(ariProblems({ maxSockets: 150, httpSessionLimit: 200 })).toEqual([]);
  });
});

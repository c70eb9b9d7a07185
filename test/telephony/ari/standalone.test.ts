import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriAdapter } from '../../../src/telephony/ari/adapter.js';
import { captureLogger, until } from './helpers.js';

describe('standalone emulator process', () => {
  let child: ChildProcess;
  let ports: { ariPort: number; controlPort: number };

  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${ports.controlPort}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.status === 204 ? null : res.json();
  };

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/ari/standalone.ts', '--playback-ms', '50'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    ports = await new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`standalone exited ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('ARI-EMULATOR READY ')) resolve(JSON.parse(line.slice('ARI-EMULATOR READY '.length)));
      });
    });
  });

  afterAll(async () => {
    await control('POST', '/shutdown').catch(() => undefined);
    child.kill();
  });

  it('originates a batch at a rate with a script and reports per-call timestamps', async () => {
    const ari = new AriAdapter({
      url: `http://127.0.0.1:${ports.ariPort}`,
      username: 'asterisk',
      password: 'asterisk',
      app: 'consentline',
      logger: captureLogger().logger,
    });
    let ended = 0;
    await ari.start({
      onStasisStart: (c) => void ari.play(c.id, `pb-${c.id}`, 'sound:notice', 'en'),
      onChannelEvent: (id, e) => {
        if (e.type === 'Dtmf') void ari.continueInDialplan(id, { context: 'ok', extension: 's', priority: 1 });
        if (e.type === 'StasisEnd') ended += 1;
      },
      onConnected: () => undefined,
      onDisconnected: () => undefined,
    });
    try {
      await control('POST', '/originate', {
        count: 20,
        ratePerSec: 200,
        script: [{ when: { on: 'PlaybackFinished', media: 'notice' }, do: { dtmf: '1' } }],
      });
      await until(() => ended === 20, '20 calls continued', 10_000);
      const calls = (await control('GET', '/calls')) as Array<{ stasisStartAt: number; firstPlayAt: number; outcome: { kind: string } }>;
      expect(calls).toHaveLength(20);
      for (const c of calls) {
        expect(c.firstPlayAt).toBeGreaterThanOrEqual(c.stasisStartAt - 1);
        expect(c.outcome.kind).toBe('continued');
      }
      const spread = Math.max(...calls.map((c) => c.stasisStartAt)) - Math.min(...calls.map((c) => c.stasisStartAt));
      expect(spread).toBeGreaterThan(60); // 20 calls at 200/s take ~95 ms
      expect(await control('GET', '/stats')).toMatchObject({ originated: 20, byOutcome: { continued: 20 } });
    } finally {
      await ari.close();
    }
  });
});

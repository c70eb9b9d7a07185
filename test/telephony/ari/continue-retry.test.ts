import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { AriAdapter } from '../../../src/telephony/ari/adapter.js';
import { AriRequestError } from '../../../src/telephony/ari/port.js';
import { captureLogger, recordApp } from './helpers.js';

/** Issue 18 defect 5: a continue is retried until Asterisk confirms it or the channel is gone. */
describe('continue: retried until confirmed or gone', () => {
  let emu: AriEmulator;
  let ari: AriAdapter;
  let lines: Array<Record<string, unknown>>;
  const TARGET = { context: 'consentline-after', extension: 'agents', priority: 1 };
  const continues = () => emu.requests.filter((q) => q.path.endsWith('/continue')).map((q) => q.status);

  beforeEach(async () => {
    emu = await AriEmulator.start();
    const cap = captureLogger();
    lines = cap.lines;
    ari = new AriAdapter({
      url: emu.url,
      username: emu.username,
      password: emu.password,
      app: emu.app,
      requestTimeoutMs: 200,
      logger: cap.logger,
      continueRetry: { windowMs: 5000, initialDelayMs: 20, maxDelayMs: 100 },
    });
    await ari.start(recordApp().events);
  });

  afterEach(async () => {
    await ari.close();
    await emu.close();
  });

  it('5xx three times, then 204: the call continues', async () => {
    const call = emu.originate();
    emu.failNext({ method: 'POST', path: '/channels/*/continue', times: 3 }, 500);
    await ari.continueInDialplan(call.id, TARGET);
    expect(continues()).toEqual([500, 500, 500, 204]);
    expect(call.continuedTo).toEqual(TARGET);
    expect(lines.some((l) => l.msg === 'ARI: continue confirmed after retries' && l.attempt === 4)).toBe(true);
  });

  it('no answer twice (request timeout), then 204: never dropped', async () => {
    const call = emu.originate();
    emu.hangNext({ method: 'POST', path: '/channels/*/continue', times: 2 });
    await ari.continueInDialplan(call.id, TARGET);
    expect(continues()).toEqual(['hang', 'hang', 204]);
    expect(call.continuedTo).toEqual(TARGET);
  });

  it('Asterisk carried it out but answered too late: the retry gets 409 (not in Stasis) and counts as confirmed', async () => {
    const call = emu.originate();
    emu.delayAnswerNext({ method: 'POST', path: '/channels/*/continue' }, 1000);
    await ari.continueInDialplan(call.id, TARGET);
    expect(continues()).toEqual([204, 409]);
    expect(call.continuedTo).toEqual(TARGET);
  });

  it('the caller hangs up while retrying: 404 ends the retries as gone', async () => {
    const call = emu.originate();
    emu.failNext({ method: 'POST', path: '/channels/*/continue', times: 2 }, 503);
    const done = ari.continueInDialplan(call.id, TARGET).then(
      () => null,
      (err: unknown) => err,
    );
    await emu.waitFor(() => continues().length >= 1);
    call.hangup();
    const err = await done;
    expect(err).toBeInstanceOf(AriRequestError);
    expect((err as AriRequestError).gone).toBe(true);
    expect(continues().at(-1)).toBe(404);
  });

  it('a refusal that retrying cannot fix (400) is not retried', async () => {
    const call = emu.originate();
    emu.failNext({ method: 'POST', path: '/channels/*/continue' }, 400, { message: 'Invalid priority' });
    await expect(ari.continueInDialplan(call.id, TARGET)).rejects.toMatchObject({ status: 400 });
    expect(continues()).toEqual([400]);
  });

  it('gives up only after the retry window, and says the caller may still be in Stasis', async () => {
    const call = emu.originate();
    emu.failNext({ method: 'POST', path: '/channels/*/continue', times: 1000 }, 500);
    const short = new AriAdapter({
      url: emu.url,
      username: emu.username,
      password: emu.password,
      app: 'other',
      requestTimeoutMs: 200,
      logger: captureLogger().logger,
      continueRetry: { windowMs: 300, initialDelayMs: 20, maxDelayMs: 50 },
    });
    const started = Date.now();
    await expect(short.continueInDialplan(call.id, TARGET)).rejects.toMatchObject({ status: 500 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(continues().length).toBeGreaterThan(3);
    await short.close();
  });
});

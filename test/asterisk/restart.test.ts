/**
 * The service killed (SIGKILL) while the notice plays and restarted at once (issue 18, defect 6),
 * through the real Asterisk and the shipped dialplan: the caller is moved on at once under the
 * original call id, and the ledger holds exactly one outcome per call.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentlineCli } from './harness/consentline.js';
import { DID, startRig, type Rig } from './setup.js';

const FALLBACK = 'consentline-fallback';
const TRUNK = 'consentline-test-trunk';
// A notice of some 30 s, so "moved on at once" and "moved on when the notice ended" differ.
const LONG_NOTICE = Array.from({ length: 60 }, (_, i) => `sentence ${i + 1}.`).join(' ');

let rig: Rig;
let noticeSeconds = 0;
beforeAll(async () => {
  rig = await startRig({ noticeText: LONG_NOTICE });
  const dir = join(rig.dir, 'prompts');
  // Raw signed linear, 16 bits at 16 kHz: 32000 bytes a second.
  const file = (await readdir(dir, { recursive: true })).find((f) => f.endsWith('pl/consentline/notice.sln16'));
  expect(file).toBeDefined();
  noticeSeconds = (await stat(join(dir, file!))).size / 32_000;
}, 600_000);
afterAll(async () => {
  await rig?.close();
}, 60_000);

async function outcomesCheck(): Promise<{ code: number; stdout: string }> {
  const r = await consentlineCli(['calls', 'check-outcomes', '--grace-seconds', '0', '--db', rig.service.dbPath]);
  return { code: r.code, stdout: r.stdout + r.stderr };
}

describe.sequential('real Asterisk: the service killed mid-call and restarted', () => {
  it('SIGKILL during the notice, restart: the caller goes on at once to the fallback, unrecorded, under the original call id', async () => {
    expect(noticeSeconds).toBeGreaterThan(15);
    const call = await rig.observer.call(DID.hotline, TRUNK);
    const notice = await call.prompt('notice');
    await new Promise((r) => setTimeout(r, 1000));
    const [originalId] = rig.ledger.callIdsForChannel(call.ivrId);
    expect(originalId).toBeTruthy();
    const killedAt = Date.now();
    await rig.service.kill();
    await rig.service.start();
    const restartedAt = Date.now();
    expect(restartedAt - killedAt).toBeLessThan(15_000);
    const fallback = await call.reaches(FALLBACK, 'Queue', 30_000);
    const movedOnAt = Date.now();
    // Moved on once the service was back, not when the notice would have ended.
    expect(movedOnAt - restartedAt).toBeLessThan(8_000);
    expect(movedOnAt - killedAt).toBeLessThan(noticeSeconds * 1000 - 5_000);
    const stopped = await call.finished(notice, 1_000);
    expect(call.observer.events.indexOf(stopped)).toBeLessThan(call.observer.events.indexOf(fallback));

    const vars = call.variables();
    expect(vars).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_ID: originalId });
    expect(call.dialplan().some((d) => d.includes(':MixMonitor('))).toBe(false);
    // One call id for the channel, with one outcome.
    const ended = await rig.ledger.ended(call.ivrId);
    expect(rig.ledger.callIdsForChannel(call.ivrId)).toEqual([originalId]);
    expect(ended.callId).toBe(originalId);
    expect(ended.recording === 'no' || ended.recording === null).toBe(true);
    await call.gone(30_000);
    const check = await outcomesCheck();
    expect(check.code, check.stdout).toBe(0);
  });

  it('a caller who hangs up while the service is down is closed as abandoned, ended_while_service_down, after the restart', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await call.prompt('notice');
    await new Promise((r) => setTimeout(r, 500));
    const [callId] = rig.ledger.callIdsForChannel(call.ivrId);
    expect(callId).toBeTruthy();
    await rig.service.kill();
    await call.hangup();
    await call.gone(10_000);
    await rig.service.start();
    const ended = await rig.ledger.ended(call.ivrId, 30_000);
    expect(ended).toMatchObject({ callId, outcome: 'abandoned' });
    const abandoned = rig.ledger.events(callId!).filter((e) => e.kind === 'call.abandoned');
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]!.data).toMatchObject({ reason: 'ended_while_service_down', recording: 'no' });
    expect(rig.ledger.callIdsForChannel(call.ivrId)).toEqual([callId]);
    const check = await outcomesCheck();
    expect(check.code, check.stdout).toBe(0);
  });
});

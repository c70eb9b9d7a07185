/**
 * Calls through a real Asterisk 22 and the project's shipped dialplan (asterisk/extensions.conf),
 * ConsentLine started through its real entry point. Each scenario asserts what the caller met,
 * seen from Asterisk by the observer app (prompts played, where the call lands, the CONSENT_*
 * variables there, MixMonitor), and what the ledger says.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCall } from './harness/observer.js';
import { consentlineCli } from './harness/consentline.js';
import { HeldFile } from './harness/held-file.js';
import { DID, startRig, until, type Rig } from './setup.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
}, 600_000);
afterAll(async () => {
  await rig?.close();
}, 60_000);

const AFTER = 'consentline-after';
const FALLBACK = 'consentline-fallback';
const TRUNK = 'consentline-test-trunk';

/** The `nth` play of prompt `id` has ended on the IVR half; a key pressed now answers it. */
async function heard(call: TestCall, id: string, nth = 1): Promise<void> {
  await call.finished(await call.prompt(id, nth));
}

/** Waits for the queue to take the call, then for the call to be over. */
async function servedByQueue(call: TestCall, context = AFTER): Promise<void> {
  await call.reaches(context, 'Queue', 30_000);
  await call.gone(30_000);
}

const ranMixMonitor = (call: TestCall) => call.dialplan().some((d) => d.includes(':MixMonitor('));

describe.sequential('real Asterisk, shipped dialplan', () => {
  it('consent by conduct: menu key 1, the call continues recorded and MixMonitor writes a file', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await heard(call, 'notice');
    await heard(call, 'menu');
    await call.press('1');
    await call.reaches(AFTER, 'MixMonitor', 20_000);
    const vars = call.variables();
    const ended = await rig.ledger.ended(call.ivrId);
    expect(vars).toMatchObject({ CONSENT_RECORDING: 'yes', CONSENT_MARKETING: 'none', CONSENT_LANG: 'pl', CONSENT_ID: ended.callId });
    expect(ended).toMatchObject({ outcome: 'continued', recording: 'yes', flowId: 'hotline' });
    expect(call.played().slice(0, 2)).toEqual(['sound:consentline/notice', 'sound:consentline/menu']);
    await servedByQueue(call);
    const file = call.variables().MIXMONITOR_FILENAME ?? '';
    expect(file).toContain(`consentline-${ended.callId}-`);
    expect(file.startsWith(rig.asterisk.monitorDir)).toBe(true);
    const text = await rig.evidence(ended.callId);
    expect(text).toMatch(/outcome\s+continued/);
    expect(text).toMatch(/recording\s+yes/);
  });

  it('hang-up during the notice: abandoned, nothing recorded', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await call.prompt('notice');
    await call.hangup();
    await call.gone();
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'abandoned' });
    expect(ended.recording === null || ended.recording === 'no').toBe(true);
    expect(call.dialplan().some((d) => d.startsWith(AFTER))).toBe(false);
    expect(ranMixMonitor(call)).toBe(false);
    expect(call.variables().CONSENT_RECORDING).toBeUndefined();
  });

  it('objection: key 9, the call goes on to the default route unrecorded', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await heard(call, 'menu');
    await call.press('9');
    await call.prompt('objection-confirmed');
    await servedByQueue(call);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'objected', recording: 'no' });
    expect(call.variables()).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_ID: ended.callId });
    expect(call.dialplan()).toContain(`${AFTER},agents:Gosub(consentline-after,recording-gate,1)`);
    expect(ranMixMonitor(call)).toBe(false);
    expect(existsSync(rig.asterisk.monitorDir) && call.variables().MIXMONITOR_FILENAME).toBeFalsy();
    expect(rig.ledger.events(ended.callId).map((e) => e.kind)).toContain('objection.made');
  });

  it('information clause, back to the menu, then key 1: continued and recorded', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await heard(call, 'menu');
    await call.press('8');
    await heard(call, 'clause');
    await heard(call, 'menu', 2);
    await call.press('1');
    await call.reaches(AFTER, 'MixMonitor', 20_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(call.played()).toEqual(['sound:consentline/notice', 'sound:consentline/menu', 'sound:consentline/clause', 'sound:consentline/menu']);
    expect(ended).toMatchObject({ outcome: 'continued', recording: 'yes' });
    expect(rig.ledger.events(ended.callId).find((e) => e.kind === 'clause.listened')?.data).toMatchObject({ completed: true });
    await servedByQueue(call);
  });

  it('an invalid key, then silence: the menu is offered a bounded number of times, then the default route', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await heard(call, 'menu');
    await call.press('7');
    await call.prompt('invalid');
    await call.reaches(AFTER, 'Gosub', 40_000);
    const ended = await rig.ledger.ended(call.ivrId);
    // retries.menu = 2: the menu three times in all, one "invalid", no fourth menu.
    expect(call.played().filter((m) => m === 'sound:consentline/menu')).toHaveLength(3);
    expect(call.played().filter((m) => m === 'sound:consentline/invalid')).toHaveLength(1);
    const kinds = rig.ledger.events(ended.callId).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'menu.invalid')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'menu.timeout')).toHaveLength(2);
    expect(ended.outcome).toBe('continued');
    expect(call.dialplan().some((d) => d.startsWith(`${AFTER},agents:`))).toBe(true);
    await servedByQueue(call);
  });
});

describe.sequential('real Asterisk: recordings', () => {
  it('round trip: the MixMonitor file goes through AMI and the encrypted store, and `recording decrypt` gives back the bytes MixMonitor wrote', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await heard(call, 'menu');
    await call.press('1');
    const set = await call.waitFor('MIXMONITOR_FILENAME', (e) => e.type === 'ChannelVarset' && e.variable === 'MIXMONITOR_FILENAME', 20_000);
    // Held open from the moment MixMonitor creates it: after the pipeline took and deleted it, the
    // inode still holds what MixMonitor wrote (a second hard link is refused by the pipeline).
    const held = await HeldFile.when(set.value!, 20_000);
    try {
      await call.gone(30_000);
      const { callId } = await rig.ledger.ended(call.ivrId);
      await until(() => rig.ledger.recordings(callId).some((r) => r.state === 'done'), 60_000, `recording of ${callId} to be stored`);
      const [rec] = rig.ledger.recordings(callId);
      expect(set.value!.endsWith(rec!.sourceName)).toBe(true);
      expect(await held.links()).toBe(0); // the very file the pipeline took, and deleted
      const written = await held.bytes();
      expect(written.length).toBeGreaterThan(44 + 8000); // more than a header: the agent's audio
      const out = join(rig.dir, 'decrypted.wav');
      const r = await consentlineCli(
        ['recording', 'decrypt', rec!.id, '--reason', 'asterisk suite round trip', '--out', out, '--config', rig.service.configFile, '--db', rig.service.dbPath],
        rig.service.env,
      );
      expect(r.code, r.stderr).toBe(0);
      const wav = await readFile(out);
      expect(wav.subarray(0, 4).toString()).toBe('RIFF');
      expect(wav.length).toBe(written.length);
      expect(wav.equals(written)).toBe(true);
      const stored = rig.ledger.events(callId).find((e) => e.kind === 'recording.stored');
      expect(stored?.data).toMatchObject({ plaintextSha256: createHash('sha256').update(written).digest('hex'), plaintextBytes: written.length });
      expect(existsSync(set.value!)).toBe(false);
      // The shipped manager.conf hides the CONSENT_* VarSets; the watcher reads them, so the start is not taken for unconsented.
      const log = await readFile(rig.service.logFile, 'utf8');
      expect(log).toMatch(new RegExp(`"uniqueid":"[^"]*","consentId":"${callId}","fileKnown":true,"msg":"recording started"`));
      expect(log).not.toContain('without CONSENT_RECORDING=yes');
    } finally {
      await held.close();
    }
  });

  it('an objecting caller leaves no file and no recording', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await heard(call, 'menu');
    await call.press('9');
    await call.gone(40_000);
    const { callId } = await rig.ledger.ended(call.ivrId);
    expect(call.variables().MIXMONITOR_FILENAME).toBeUndefined();
    expect((await readdir(rig.asterisk.monitorDir)).filter((f) => f.includes(callId))).toEqual([]);
    expect(rig.ledger.recordings(callId)).toEqual([]);
  });
});

describe.sequential('real Asterisk: the called number picks the flow through the shipped dialplan', () => {
  it('language choice: key 2, the notice and menu in English, CONSENT_LANG=en', async () => {
    const call = await rig.observer.call(DID.languages, TRUNK);
    await heard(call, 'lang-choice');
    await call.press('2');
    await heard(call, 'notice');
    await heard(call, 'menu');
    await call.press('1');
    await call.reaches(AFTER, 'Queue', 20_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ flowId: 'languages', language: 'en', outcome: 'continued' });
    expect(call.playedLanguages().slice(1)).toEqual(['en', 'en']);
    expect(call.variables().CONSENT_LANG).toBe('en');
    await call.gone(30_000);
  });

  it.each([
    ['1', 'yes'],
    ['2', 'no'],
  ])('marketing consent: key %s → CONSENT_MARKETING=%s', async (key, answer) => {
    const call = await rig.observer.call(DID.marketing, TRUNK);
    await heard(call, 'menu');
    await call.press('1');
    await heard(call, 'marketing-consent');
    await call.press(key);
    await call.reaches(AFTER, 'Queue', 20_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ flowId: 'marketing', marketing: answer, recording: 'yes' });
    expect(call.variables()).toMatchObject({ CONSENT_MARKETING: answer, CONSENT_RECORDING: 'yes' });
    await call.gone(30_000);
  });

  it.each([
    ['1', 'yes'],
    ['2', 'no'],
  ])('explicit consent: the caller is asked; key %s → recording %s', async (key, answer) => {
    const call = await rig.observer.call(DID.explicit, TRUNK);
    await heard(call, 'menu');
    await call.press('1');
    await heard(call, 'recording-consent');
    await call.press(key);
    await call.reaches(AFTER, 'Queue', 20_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ flowId: 'explicit', legalBasis: 'explicit_consent', did: `${DID.explicit}`, recording: answer });
    expect(call.variables().CONSENT_RECORDING).toBe(answer);
    expect(ranMixMonitor(call)).toBe(answer === 'yes');
    await call.gone(30_000);
  });

  it('legitimate interest: notice and menu, key 1, recorded under that basis', async () => {
    const call = await rig.observer.call(DID.legitimate, TRUNK);
    await heard(call, 'menu');
    await call.press('1');
    await call.reaches(AFTER, 'Queue', 20_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ flowId: 'legitimate', legalBasis: 'legitimate_interest', recording: 'yes', outcome: 'continued' });
    expect(call.played()).not.toContain('sound:consentline/recording-consent');
    await call.gone(30_000);
  });

  it('the DID reaches the service in the Stasis arguments; an unknown DID takes the default flow', async () => {
    const known = await rig.observer.call(DID.explicit, TRUNK);
    const unknown = await rig.observer.call(DID.unknown, TRUNK);
    await known.prompt('notice');
    await unknown.prompt('notice');
    expect(known.dialplan()).toContain(`consentline-inbound,s:Stasis(consentline,${DID.explicit})`);
    expect(unknown.dialplan()).toContain(`consentline-inbound,s:Stasis(consentline,${DID.unknown})`);
    await Promise.all([known.hangup(), unknown.hangup()]);
    const [k, u] = await Promise.all([rig.ledger.ended(known.ivrId), rig.ledger.ended(unknown.ivrId)]);
    expect(k).toMatchObject({ flowId: 'explicit', did: DID.explicit });
    expect(u).toMatchObject({ flowId: 'hotline', did: DID.unknown });
  });
});

describe.sequential('real Asterisk: what a caller on a trunk meets (service side of issue 18)', () => {
  it('the channel is answered before the notice plays, not left ringing with early media (defect 2)', async () => {
    const call = await rig.observer.ringing(DID.hotline);
    try {
      const started = await call.prompt('notice');
      expect(call.stateAt(started)).toBe('Up');
    } finally {
      await call.observer.request('DELETE', `/channels/${call.ivrId}`);
    }
    expect((await rig.ledger.ended(call.ivrId)).outcome).toBe('abandoned');
  });

  it('a key pressed while the "invalid" prompt plays counts: 7 then 9 is an objection (defect 3)', async () => {
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await heard(call, 'menu');
    await call.press('7');
    const invalid = await call.prompt('invalid');
    await call.press('9');
    await call.reaches(AFTER, 'Gosub', 40_000);
    // The 9 reached the IVR half while "invalid" was playing (else this call proves nothing).
    const events = rig.observer.events;
    const nine = events.findIndex((e) => e.type === 'ChannelDtmfReceived' && e.channel?.id === call.ivrId && e.digit === '9');
    const invalidEnd = events.findIndex((e) => e.type === 'PlaybackFinished' && e.playback?.id === invalid.playback?.id);
    expect(nine).toBeGreaterThan(events.indexOf(invalid));
    expect(nine).toBeLessThan(invalidEnd);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'objected', recording: 'no' });
    expect(call.variables().CONSENT_RECORDING).toBe('no');
    expect(ranMixMonitor(call)).toBe(false);
    await call.gone(30_000);
  });
});

describe.sequential('real Asterisk: ConsentLine not connected', () => {
  it('Stasis FAILED: notice by Playback, fallback route, unrecorded', async () => {
    await rig.service.stop();
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await call.reaches(FALLBACK, 'Queue', 30_000);
    const plan = call.dialplan();
    expect(plan).toContain('consentline-inbound,s:Playback(consentline/notice)');
    expect(plan.some((d) => d.includes(':Answer('))).toBe(true);
    expect(call.variables()).toMatchObject({ STASISSTATUS: 'FAILED', CONSENT_RECORDING: 'no', CONSENT_MARKETING: 'none', CONSENT_LANG: 'pl' });
    expect(ranMixMonitor(call)).toBe(false);
    await call.gone(30_000);
    expect(rig.ledger.callIdsForChannel(call.ivrId)).toEqual([]);
  });
});

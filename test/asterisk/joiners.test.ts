/**
 * Parties who join a recorded call and employees' monitoring notices (issue 23.2, 23.3) on the real
 * Asterisk with the shipped dialplan (route agents: recording gate, Queue with the
 * consentline-joiner subroutine), manager.conf and the stub queue's Local agent, registered per
 * test with `consentline agents set`. What the agent heard is observed from Asterisk, not from
 * ConsentLine: the subscribe-all observer sees the subroutine's Playback on the agent's channel
 * (with the channel's language in the snapshot), its UserEvent, and both channels entering the
 * bridge, in order; Asterisk's own log names the file language it played; and the agent's other
 * half records what reached it (Record), whose sound must last as long as the notice in that
 * language, which is five times shorter in Polish than in English (test/asterisk/prompts).
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavSamples, wavRate, windowRms } from '../support/wav-rms.js';
import type { AriEvent } from './harness/observer.js';
import { decryptRecording, DID, dpoToken, registerAgent, rigForFile, until, type Rig } from './setup.js';

const TRUNK = 'consentline-test-trunk';
const AGENT_IFACE = 'Local/agent@consentline-test-agent';
const SOUND_RMS = 150;

// The stub agent answers, records for 5 s what reaches it (the notice, then the silent caller),
// then speaks, so the call's own recording has the agent's voice when it is recorded.
const STUB_AGENT = ` same => n,Wait(3)
 same => n,Playback(hello-world)
 same => n,Wait(1)
 same => n,Hangup()`;
const LISTENING_AGENT = ` same => n,Record(\${ASTSPOOLDIR}/heard/\${CHANNEL(linkedid)}.wav,0,5,qxk)
 same => n,Playback(hello-world)
 same => n,Wait(1)
 same => n,Hangup()`;

const rigOf = rigForFile({
  agents: [],
  customize: async (etc) => {
    const file = join(etc, 'extensions.conf');
    const text = await readFile(file, 'utf8');
    if (!text.includes(STUB_AGENT)) throw new Error('the stub agent changed: update joiners.test.ts');
    await writeFile(file, text.replace(STUB_AGENT, LISTENING_AGENT));
    await mkdir(join(dirname(etc), 'spool', 'heard'), { recursive: true });
  },
});

let token = '';
async function agentInformed(rig: Rig, daysAgo: number | null, language = 'pl'): Promise<void> {
  token ||= await dpoToken(rig.service);
  await registerAgent(rig.service, token, { agentId: 'queue-agent', interfaces: [AGENT_IFACE], language, informedDaysAgo: daysAgo });
}

/** The joiner-notice prompt as rendered for this rig: its wav's SHA-256 and length. */
async function renderedNotice(rig: Rig, lang: string): Promise<{ sha256: string; seconds: number }> {
  const manifest = JSON.parse(await readFile(join(rig.dir, 'prompts', 'manifest.json'), 'utf8')) as { prompts: Array<{ id: string; lang: string; files: { wav: { path: string; sha256: string } } }> };
  const e = manifest.prompts.find((p) => p.id === 'joiner-notice' && p.lang === lang)!;
  const wav = await readFile(join(rig.dir, 'prompts', e.files.wav.path));
  return { sha256: e.files.wav.sha256, seconds: soundSpan(wav) };
}

/** Seconds from the first to the last 20 ms window with sound. */
function soundSpan(wav: Buffer): number {
  const win = wavRate(wav) / 50;
  const levels = windowRms(readWavSamples(wav), win);
  const loud = levels.map((v, i) => (v >= SOUND_RMS ? i : -1)).filter((i) => i >= 0);
  return loud.length ? (loud.at(-1)! - loud[0]! + 1) / 50 : 0;
}

/** A consenting call to the queue; resolves once the agent's channel is in the bridge, with what Asterisk showed on the way. */
async function queueCall(rig: Rig) {
  const from = rig.observer.events.length;
  const after = (what: string, match: (e: AriEvent) => boolean) => rig.observer.waitFor(what, (e) => rig.observer.events.indexOf(e) >= from && match(e), 40_000);
  const call = await rig.observer.call(DID.hotline, TRUNK);
  await call.finished(await call.prompt('menu'));
  await call.press('1');
  await call.waitFor('MixMonitor started by the recording gate', (e) => e.type === 'ChannelVarset' && e.variable === 'MIXMONITOR_FILENAME', 30_000);
  const [callId] = rig.ledger.callIdsForChannel(call.ivrId);
  const sub = await after('the joiner subroutine on the agent', (e) => e.type === 'ChannelDialplan' && e.channel?.dialplan?.context === 'consentline-joiner');
  const agent = sub.channel!.id;
  const agentName = (sub.channel as unknown as { name: string }).name;
  await after('the agent in the bridge', (e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === agent);
  const list = await rig.asterisk.cli(`mixmonitor list ${(rig.observer.events.find((e) => e.channel?.id === call.ivrId)!.channel as unknown as { name: string }).name}`);
  const mine = rig.observer.events.slice(from);
  const idx = (match: (e: AriEvent) => boolean) => mine.findIndex(match);
  const order = {
    playback: idx((e) => e.type === 'ChannelDialplan' && e.channel?.id === agent && e.channel.dialplan?.app_name === 'Playback' && e.channel.dialplan.app_data === 'consentline/joiner-notice'),
    heard: idx((e) => e.type === 'ChannelUserevent' && e.channel?.id === agent && e['eventname'] === 'ConsentLineJoiner' && (e['userevent'] as Record<string, string> | undefined)?.['Stage'] === 'heard'),
    agentBridged: idx((e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === agent),
    callerBridged: idx((e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === call.ivrId),
  };
  const playbackEvent = mine[order.playback];
  const heardEvent = mine[order.heard];
  return {
    call,
    callId: callId!,
    agentName,
    order,
    languageAtPlayback: (playbackEvent?.channel as unknown as { language?: string } | undefined)?.language,
    heardFields: (heardEvent?.['userevent'] ?? {}) as Record<string, string>,
    mixMonitors: list.split('\n').filter((l) => l.includes('consentline-')),
  };
}

function joined(rig: Rig, callId: string) {
  return rig.ledger.events(callId).find((e) => e.kind === 'party.joined');
}

async function heardFile(rig: Rig, ivrId: string): Promise<Buffer> {
  const path = join(rig.asterisk.dir, 'spool', 'heard', `${ivrId}.wav`);
  await until(
    () => {
      try {
        return statSync(path).size > 44;
      } catch {
        return false;
      }
    },
    20_000,
    `the agent's recording of what it heard (${path})`,
  );
  return readFile(path);
}

describe.sequential('real Asterisk: parties who join a recorded call', () => {
  for (const lang of ['pl', 'en'] as const) {
    it(`a queue agent (notice language ${lang}) hears the joiner notice in ${lang} on their own channel before either side enters the bridge; the ledger says which`, async () => {
      const rig = rigOf();
      await agentInformed(rig, 40, lang);
      const c = await queueCall(rig);
      await c.call.gone(60_000);
      console.log(JSON.stringify({ scenario: `notice-${lang}`, order: c.order, languageAtPlayback: c.languageAtPlayback, heard: c.heardFields }));
      // Seen from Asterisk: the Playback on the agent's channel, its report, then the bridge.
      expect(c.order.playback).toBeGreaterThanOrEqual(0);
      expect(c.order.heard).toBeGreaterThan(c.order.playback);
      expect(c.order.agentBridged).toBeGreaterThan(c.order.heard);
      expect(c.order.callerBridged).toBeGreaterThan(c.order.heard);
      expect(c.languageAtPlayback).toBe(lang);
      expect(c.heardFields).toMatchObject({ Stage: 'heard', NoticeLanguage: lang, PlaybackStatus: 'SUCCESS', Via: 'queue' });
      // Asterisk's log: the file it opened for the agent's channel, and in which language.
      const log = await readFile(rig.asterisk.logFile, 'utf8');
      expect(log).toContain(`<${c.agentName}> Playing 'consentline/joiner-notice.`);
      expect(log).toMatch(new RegExp(`<${c.agentName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}> Playing 'consentline/joiner-notice\\.[a-z0-9]+' \\(language '${lang}'\\)`));
      // What reached the agent: sound as long as the notice in this language, not the other.
      const want = await renderedNotice(rig, lang);
      const other = await renderedNotice(rig, lang === 'pl' ? 'en' : 'pl');
      const heard = soundSpan(await heardFile(rig, c.call.ivrId));
      console.log(JSON.stringify({ scenario: `notice-${lang}`, heardSeconds: heard, noticeSeconds: want.seconds, otherSeconds: other.seconds }));
      expect(Math.abs(heard - want.seconds)).toBeLessThan(0.4);
      expect(Math.abs(heard - other.seconds)).toBeGreaterThan(0.8);
      // The ledger: who (pseudonymous), which notice (id, the language Asterisk reported, version, the audio's hash), still recorded.
      const j = joined(rig, c.callId);
      expect(j?.data).toMatchObject({
        via: 'queue',
        agentId: 'queue-agent',
        notice: { promptId: 'joiner-notice', lang, version: 't1', audioSha256: want.sha256, status: 'SUCCESS' },
        employeeNotice: { status: 'ok', ageDays: 40, minDays: 14 },
        recording: 'continues',
      });
      expect(JSON.stringify(j?.data)).not.toContain('Local/agent');
      expect(c.mixMonitors).toHaveLength(1);
    });
  }

  it('an agent informed 3 days ago: MixMonitor is stopped when they join (Asterisk lists none once they are bridged), nothing of the call is stored, the ledger says employee_notice_too_recent', async () => {
    const rig = rigOf();
    await agentInformed(rig, 3);
    const c = await queueCall(rig);
    console.log(JSON.stringify({ scenario: 'too-recent', mixMonitorsWhenBridged: c.mixMonitors, order: c.order }));
    expect(c.mixMonitors).toEqual([]);
    await c.call.gone(60_000);
    const events = rig.ledger.events(c.callId);
    const stopped = events.find((e) => e.kind === 'recording.stopped' && e.data['restOfCall'] === true);
    expect(stopped?.data).toMatchObject({ reason: 'employee_notice_too_recent', by: { source: 'service', via: 'joiner' }, stopConfirmed: true });
    expect(joined(rig, c.callId)?.data).toMatchObject({ agentId: 'queue-agent', employeeNotice: { status: 'employee_notice_too_recent', ageDays: 3 }, recording: 'stopped', notice: { lang: 'pl', status: 'SUCCESS' } });
    // The agent's voice never reached a file: MixMonitor (option b) was stopped before the bridge.
    await new Promise((r) => setTimeout(r, 5000));
    const spool = readdirSync(rig.asterisk.monitorDir).filter((f) => f.includes(c.callId));
    const rows = rig.ledger.recordings(c.callId);
    console.log(JSON.stringify({ scenario: 'too-recent', spool, rows }));
    for (const row of rows.filter((r) => r.state === 'done')) {
      const wav = await decryptRecording(rig, row.id, join(rig.dir, `too-recent-${row.id}.wav`), 'asterisk suite joiners');
      expect(readWavSamples(wav).length / wavRate(wav)).toBeLessThan(0.1);
    }
    expect(rows.filter((r) => r.state === 'done').length + spool.length).toBeLessThanOrEqual(1);
  });

  it('an agent informed 40 days ago: recorded; the stored recording decrypts to the agent speaking', async () => {
    const rig = rigOf();
    await agentInformed(rig, 40);
    const c = await queueCall(rig);
    expect(c.mixMonitors).toHaveLength(1);
    await c.call.gone(60_000);
    expect(rig.ledger.events(c.callId).some((e) => e.kind === 'recording.stopped' && e.data['restOfCall'] === true)).toBe(false);
    await until(() => rig.ledger.recordings(c.callId).some((r) => r.state === 'done'), 60_000, 'the recording stored');
    const row = rig.ledger.recordings(c.callId).find((r) => r.state === 'done')!;
    const wav = await decryptRecording(rig, row.id, join(rig.dir, 'recorded.wav'), 'asterisk suite joiners');
    const levels = windowRms(readWavSamples(wav), wavRate(wav) / 10);
    const loud = levels.filter((v) => v >= SOUND_RMS).length / 10;
    console.log(JSON.stringify({ scenario: 'recorded', seconds: levels.length / 10, loudSeconds: loud }));
    expect(loud).toBeGreaterThan(0.5);
    expect(joined(rig, c.callId)?.data).toMatchObject({ employeeNotice: { status: 'ok' }, recording: 'continues' });
  });
});

/**
 * Parties who join a recorded call, on the AMI emulator with the real watcher, recording control,
 * the SQLite ledger and the agents registry: the joiner subroutine's UserEvents (joining, heard),
 * the answer the guard sets on the joining channel, the employee-notice check that stops the
 * recording before the bridge, the notice not played or not confirmed, and a party entering a
 * bridge with a recorded channel unannounced.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { sqliteExec } from '../../src/assurance/sql-sqlite.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import { AgentRegistry } from '../../src/joiners/agents.js';
import { JOINER_LANG_VAR, JOINER_STATE_VAR, JoinerGuard } from '../../src/joiners/guard.js';
import { AgentRepo } from '../../src/joiners/repo.js';
import { RecordingControl } from '../../src/recordings/control/index.js';
import { asCallId } from '../../src/recordings/pipeline/names.js';
import type { EmuChannel } from '../emulators/ami/index.js';
import { dialplanRecording, ledgerCall, waitFor, world, type World } from '../recordings/pipeline/helpers.js';

const DPO = { tokenId: 'tok-1', role: 'dpo', subjectRef: 'f00d' };
const SHA = 'a'.repeat(64);
const PROMPTS = {
  get(id: string, lang: string) {
    if (id !== 'joiner-notice' || !['pl', 'en'].includes(lang)) throw new Error(`no prompt ${id}/${lang}`);
    return { version: `v-${lang}`, audioSha256: (lang === 'pl' ? 'b' : 'c').repeat(64) };
  },
};
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

let w: World | undefined;
let closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await w?.close();
  w = undefined;
});

async function setup(heardTimeoutMs = 5_000) {
  const x = (w = await world({ amiRead: ['call', 'dialplan', 'user'] }));
  x.pipeline();
  await waitFor(() => x.watcher?.connected, 'AMI login');
  const control = new RecordingControl({ watcher: x.watcher!, evidence: x.evidence, log: x.sink.logger, callIdOf: asCallId, options: { confirmTimeoutMs: 300, maxPauseMs: 60_000, onMaxPause: 'stay_paused' } });
  const registry = new AgentRegistry({ repo: new AgentRepo(sqliteExec(x.db)), evidence: x.evidence, clock: { now: () => Date.now() }, minDays: 14, defaultLanguage: 'pl' });
  const guard = new JoinerGuard({
    watcher: x.watcher!,
    stopper: control,
    agents: registry,
    prompts: PROMPTS,
    evidence: x.evidence,
    callIdOf: asCallId,
    pepper: 'test-pepper-0123456789abcdef0123456789',
    log: x.sink.logger,
    clock: { now: () => Date.now() },
    options: { defaultLanguage: 'pl', heardTimeoutMs, actionTimeoutMs: 1000 },
  });
  closers.push(() => control.close(), () => guard.close());
  const callId = await ledgerCall(x, 'yes');
  const rec = dialplanRecording(x, callId, { seconds: 2 });
  await waitFor(() => control.stateOf(callId) === 'recording', 'the recording seen');
  return { x, registry, control, callId, rec };
}

let seq = 0;
/** The agent's channel as Queue creates it: same linkedid as the caller's. */
function agentChannel(x: World, caller: EmuChannel, name = 'PJSIP/100'): EmuChannel {
  seq++;
  return x.emu.addChannel({ channel: `${name}-0000${String(seq).padStart(4, '0')}`, uniqueid: `agent-${seq}`, linkedid: caller.linkedid, state: 'Up' });
}

function joining(x: World, ch: EmuChannel, f: { via?: string; iface?: string; consentId?: string } = {}): void {
  x.emu.userEvent(ch, 'ConsentLineJoiner', [['Stage', 'joining'], ['Via', f.via ?? 'queue'], ['Interface', f.iface ?? ''], ['ConsentId', f.consentId ?? '']]);
}
function heard(x: World, ch: EmuChannel, language: string, status = 'SUCCESS', via = 'queue'): void {
  x.emu.userEvent(ch, 'ConsentLineJoiner', [['Stage', 'heard'], ['Via', via], ['Interface', ''], ['ConsentId', ''], ['NoticeLanguage', language], ['PlaybackStatus', status]]);
}

async function events(x: World, callId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of x.evidence.events()) if (e.callId === callId) out.push(e);
  return out;
}
const joinedOf = async (x: World, callId: string) => waitFor(async () => (await events(x, callId)).find((e) => e.kind === 'party.joined'), 'party.joined');
const stops = (x: World) => x.emu.actions.filter((a) => a.action === 'StopMixMonitor');

describe('parties who join a recorded call', () => {
  test('an agent informed 30 days ago: told the language and "recorded", hears the notice, the ledger names the agent and the notice; bridging them changes nothing', async () => {
    const { x, registry, callId, rec } = await setup();
    await registry.set({ agentId: 'agent-7', interfaces: ['PJSIP/100'], language: 'en', notice: { informedOn: day(30), documentVersion: '2026-01', documentSha256: SHA } }, DPO);
    const agent = agentChannel(x, rec.call.inbound);
    joining(x, agent, { iface: 'PJSIP/100', consentId: callId });
    await waitFor(() => agent.vars.get(JOINER_STATE_VAR), 'the answer');
    expect(agent.vars.get(JOINER_LANG_VAR)).toBe('en');
    expect(agent.vars.get(JOINER_STATE_VAR)).toBe('recorded');
    heard(x, agent, 'en');
    const joined = await joinedOf(x, callId);
    expect(joined.data).toMatchObject({
      via: 'queue',
      uniqueid: agent.uniqueid,
      agentId: 'agent-7',
      notice: { promptId: 'joiner-notice', lang: 'en', version: 'v-en', audioSha256: 'c'.repeat(64), status: 'SUCCESS' },
      employeeNotice: { status: 'ok', informedOn: day(30), ageDays: 30, minDays: 14, documentVersion: '2026-01', documentSha256: SHA },
      recording: 'continues',
    });
    expect(String(joined.data['joinerRef'])).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(joined.data)).not.toContain('PJSIP/100');
    x.emu.bridge(rec.call.inbound, 'br-1', true, 1);
    x.emu.bridge(agent, 'br-1', true, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(stops(x)).toEqual([]);
    expect(rec.call.inbound.recording).not.toBeNull();
  });

  test('an agent informed 3 days ago: the recording is stopped before the bridge (employee_notice_too_recent), the agent is told "not_recorded"', async () => {
    const { x, registry, callId, rec } = await setup();
    await registry.set({ agentId: 'agent-3', interfaces: ['PJSIP/100'], language: 'pl', notice: { informedOn: day(3), documentVersion: '2026-01', documentSha256: SHA } }, DPO);
    const agent = agentChannel(x, rec.call.inbound);
    joining(x, agent, { iface: 'PJSIP/100' });
    await waitFor(() => agent.vars.get(JOINER_STATE_VAR), 'the answer');
    expect(agent.vars.get(JOINER_STATE_VAR)).toBe('not_recorded');
    // Stopped before the answer, so before the subroutine returns and the bridge is made.
    expect(rec.call.inbound.recording).toBeNull();
    expect(stops(x)[0]!.packet).toContainEqual(['Channel', rec.call.inbound.name]);
    heard(x, agent, 'pl');
    const joined = await joinedOf(x, callId);
    expect(joined.data).toMatchObject({ agentId: 'agent-3', employeeNotice: { status: 'employee_notice_too_recent', ageDays: 3 }, recording: 'stopped', notice: { lang: 'pl' } });
    const stopped = (await events(x, callId)).find((e) => e.kind === 'recording.stopped' && e.data['restOfCall'] === true)!;
    expect(stopped.data).toMatchObject({ reason: 'employee_notice_too_recent', by: { source: 'service', via: 'joiner' }, stopConfirmed: true });
  });

  test('an interface nobody registered: employee_notice_missing, and the notice in the default language', async () => {
    const { x, callId, rec } = await setup();
    const agent = agentChannel(x, rec.call.inbound, 'PJSIP/555');
    joining(x, agent);
    await waitFor(() => agent.vars.get(JOINER_STATE_VAR), 'the answer');
    expect(agent.vars.get(JOINER_LANG_VAR)).toBe('pl');
    expect(agent.vars.get(JOINER_STATE_VAR)).toBe('not_recorded');
    const stopped = await waitFor(async () => (await events(x, callId)).find((e) => e.kind === 'recording.stopped'), 'stopped');
    expect(stopped.data['reason']).toBe('employee_notice_missing');
  });

  test('an agent never informed (notice null) is not recorded either', async () => {
    const { x, registry, callId, rec } = await setup();
    await registry.set({ agentId: 'agent-0', interfaces: ['PJSIP/100'], language: 'pl', notice: null }, DPO);
    const agent = agentChannel(x, rec.call.inbound);
    joining(x, agent);
    await waitFor(() => agent.vars.get(JOINER_STATE_VAR) === 'not_recorded', 'not recorded');
    const stopped = (await events(x, callId)).find((e) => e.kind === 'recording.stopped')!;
    expect(stopped.data['reason']).toBe('employee_notice_missing');
  });

  test.each([
    ['the notice failed to play (PLAYBACKSTATUS FAILED)', 'pl', 'FAILED'],
    ['a language the notice has no audio in', 'de', 'SUCCESS'],
  ])('%s: stopped, joiner_notice_not_played', async (_what, lang, status) => {
    const { x, registry, callId, rec } = await setup();
    await registry.set({ agentId: 'agent-7', interfaces: ['PJSIP/100'], language: 'pl', notice: { informedOn: day(40), documentVersion: '1', documentSha256: SHA } }, DPO);
    const agent = agentChannel(x, rec.call.inbound);
    joining(x, agent);
    await waitFor(() => agent.vars.get(JOINER_STATE_VAR) === 'recorded', 'recorded');
    heard(x, agent, lang, status);
    const joined = await joinedOf(x, callId);
    expect(joined.data).toMatchObject({ recording: 'stopped', notice: { status, lang } });
    if (lang === 'de') expect((joined.data['notice'] as Record<string, unknown>)['audioSha256']).toBeUndefined();
    const stopped = (await events(x, callId)).find((e) => e.kind === 'recording.stopped')!;
    expect(stopped.data['reason']).toBe('joiner_notice_not_played');
  });

  test('no "heard" within the time allowed: stopped, joiner_notice_unconfirmed, the ledger says no notice', async () => {
    const { x, registry, callId, rec } = await setup(300);
    await registry.set({ agentId: 'agent-7', interfaces: ['PJSIP/100'], language: 'pl', notice: { informedOn: day(40), documentVersion: '1', documentSha256: SHA } }, DPO);
    const agent = agentChannel(x, rec.call.inbound);
    joining(x, agent);
    const joined = await joinedOf(x, callId);
    expect(joined.data).toMatchObject({ notice: null, recording: 'stopped', agentId: 'agent-7' });
    const stopped = (await events(x, callId)).find((e) => e.kind === 'recording.stopped')!;
    expect(stopped.data['reason']).toBe('joiner_notice_unconfirmed');
  });

  test('a party that enters a bridge with the recorded channel without the notice (a transfer not seen): stopped, joiner_without_notice', async () => {
    const { x, callId, rec } = await setup();
    const target = agentChannel(x, rec.call.inbound, 'PJSIP/trunk');
    x.emu.bridge(target, 'br-2', true, 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(stops(x)).toEqual([]); // not yet with the recorded channel
    x.emu.bridge(rec.call.inbound, 'br-2', true, 2);
    await waitFor(() => stops(x).length === 1, 'StopMixMonitor');
    const joined = await joinedOf(x, callId);
    expect(joined.data).toMatchObject({ via: 'unannounced', uniqueid: target.uniqueid, notice: null, agentId: null, recording: 'stopped' });
    const stopped = (await events(x, callId)).find((e) => e.kind === 'recording.stopped')!;
    expect(stopped.data['reason']).toBe('joiner_without_notice');
  });

  test('an outside party (via external) hears the notice without an employee check; the recording goes on', async () => {
    const { x, callId, rec } = await setup();
    const outside = agentChannel(x, rec.call.inbound, 'PJSIP/trunk');
    joining(x, outside, { via: 'external' });
    await waitFor(() => outside.vars.get(JOINER_STATE_VAR), 'the answer');
    expect(outside.vars.get(JOINER_STATE_VAR)).toBe('recorded');
    heard(x, outside, 'pl', 'SUCCESS', 'external');
    const joined = await joinedOf(x, callId);
    expect(joined.data).toMatchObject({ via: 'external', employeeNotice: null, recording: 'continues', agentId: null });
    expect(stops(x)).toEqual([]);
  });

  test('a call that is not recorded: the party is told not_recording and nothing is stopped', async () => {
    const { x, rec } = await setup();
    const objected = await ledgerCall(x, 'no');
    const other = x.emu.createLocalCall({ id: 'unrec', callerIdNum: '48600100200' });
    x.emu.setVar(other.inbound, 'CONSENT_ID', objected);
    const agent = agentChannel(x, other.inbound);
    joining(x, agent, { consentId: objected });
    await waitFor(() => agent.vars.get(JOINER_STATE_VAR), 'the answer');
    expect(agent.vars.get(JOINER_STATE_VAR)).toBe('not_recording');
    heard(x, agent, 'pl');
    const joined = await joinedOf(x, objected);
    expect(joined.data).toMatchObject({ recording: 'not_recording', employeeNotice: { status: 'employee_notice_missing' } });
    expect(stops(x)).toEqual([]);
    expect(rec.call.inbound.recording).not.toBeNull();
  });
});

/**
 * Issue 23.2/23.3 through the whole service on the emulators: the DPO registers an agent over HTTP,
 * a caller consents through the ARI emulator, the dialplan's recording gate and the joiner
 * subroutine are played on the AMI emulator (MixMonitor, UserEvent ConsentLineJoiner, bridge), and
 * the service's answer, the recording's fate and the ledger follow the registry: an agent informed
 * 3 days ago is not recorded; once the DPO records an older notice, the next call is.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { AmiEmulator, type EmuChannel } from '../emulators/ami/index.js';
import { pressAfter } from '../emulators/ari/emulator.js';
import { scenarioPerTest, type Scenario } from './harness.js';

const start = scenarioPerTest();
let ami: AmiEmulator | undefined;
afterEach(async () => {
  await ami?.stop();
  ami = undefined;
});

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

async function withRecordings() {
  const emu = (ami = await AmiEmulator.start({ users: [{ username: 'consentline', secret: 'ami-secret', read: ['call', 'dialplan', 'user'], write: ['call'] }] }));
  const s = await start({ top: { recordings: { enabled: true, ami: { host: emu.host, port: emu.port, username: 'consentline', secret: 'ami-secret' } } } });
  await expect.poll(() => s.service.recordings?.watcher?.connected, { timeout: 10_000 }).toBe(true);
  const { db } = openSqlite({ path: join(s.config.service.dataDir, 'consentline.sqlite') });
  const token = (await new SqliteTokenStore(db).create('dpo', 'dpo', 'the-dpo')).token;
  db.close();
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${s.service.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { s, emu, api };
}

let seq = 0;
/** A consenting call (ARI), then the recording gate on its trunk channel (AMI); resolves once the service sees the recording. */
async function recordedCall(s: Scenario, emu: AmiEmulator) {
  const r = await s.call({ script: [pressAfter('consentline/menu', '1', 20)] });
  expect(r.vars.CONSENT_RECORDING).toBe('yes');
  const callId = r.events[0]!.callId!;
  const u = `1765000${++seq}`;
  const trunk = emu.addChannel({ channel: `PJSIP/trunk-0000${seq}0`, uniqueid: `${u}.1`, state: 'Up' });
  emu.setVar(trunk, 'CONSENT_ID', callId);
  emu.setVar(trunk, 'CONSENT_RECORDING', 'yes');
  emu.startMixMonitor(trunk, `consentline-${callId}-${u}.1.wav`);
  await expect.poll(() => s.service.recordings!.watcher!.activeRecordings().some((a) => a.uniqueid === `${u}.1` && a.consentId === callId), { timeout: 10_000 }).toBe(true);
  return { callId, trunk, agent: emu.addChannel({ channel: `PJSIP/100-0000${seq}1`, uniqueid: `${u}.2`, linkedid: `${u}.1`, state: 'Up' }) };
}

/** The subroutine on the agent's channel: joining, the service's answer, the notice, heard, the bridge. */
async function agentJoins(emu: AmiEmulator, trunk: EmuChannel, agent: EmuChannel): Promise<string> {
  emu.userEvent(agent, 'ConsentLineJoiner', [['Stage', 'joining'], ['Via', 'queue'], ['Interface', 'PJSIP/100'], ['ConsentId', trunk.vars.get('CONSENT_ID')!]]);
  await expect.poll(() => agent.vars.get('CONSENTLINE_JOINER_STATE'), { timeout: 10_000 }).toBeTruthy();
  emu.userEvent(agent, 'ConsentLineJoiner', [['Stage', 'heard'], ['Via', 'queue'], ['Interface', 'PJSIP/100'], ['ConsentId', ''], ['NoticeLanguage', agent.vars.get('CONSENTLINE_JOINER_LANG')!], ['PlaybackStatus', 'SUCCESS']]);
  emu.bridge(agent, `bridge-${agent.uniqueid}`, true, 1);
  emu.bridge(trunk, `bridge-${agent.uniqueid}`, true, 2);
  return agent.vars.get('CONSENTLINE_JOINER_STATE')!;
}

async function joinedEvent(s: Scenario, callId: string) {
  await expect.poll(async () => (await s.service.store.callEvents(callId)).some((e) => e.kind === 'party.joined'), { timeout: 10_000 }).toBe(true);
  const events = await s.service.store.callEvents(callId);
  return { joined: events.find((e) => e.kind === 'party.joined')!, stopped: events.find((e) => e.kind === 'recording.stopped' && e.data['restOfCall'] === true) };
}

describe('parties who join, through the whole service', () => {
  it('the DPO registers an agent informed 3 days ago: a call bridged to them is not recorded; after the DPO records an older notice, the next call is', async () => {
    const { s, emu, api } = await withRecordings();
    const notice = (daysAgo: number) => ({ informedOn: day(daysAgo), documentVersion: '2026-05', documentSha256: '5a'.repeat(32) });
    expect((await api('PUT', '/agents/agent-100', { interfaces: ['PJSIP/100'], language: 'en', notice: notice(3) })).status).toBe(201);
    expect(await (await api('GET', '/agents/agent-100')).json()).toMatchObject({ recordable: { status: 'employee_notice_too_recent', ageDays: 3 } });

    const first = await recordedCall(s, emu);
    expect(await agentJoins(emu, first.trunk, first.agent)).toBe('not_recorded');
    expect(first.agent.vars.get('CONSENTLINE_JOINER_LANG')).toBe('en');
    expect(first.trunk.recording).toBeNull();
    const a = await joinedEvent(s, first.callId);
    expect(a.stopped?.data).toMatchObject({ reason: 'employee_notice_too_recent', stopConfirmed: true });
    expect(a.joined.data).toMatchObject({ agentId: 'agent-100', recording: 'stopped', notice: { promptId: 'joiner-notice', lang: 'en' }, employeeNotice: { status: 'employee_notice_too_recent' } });

    expect((await api('PUT', '/agents/agent-100', { interfaces: ['PJSIP/100'], language: 'pl', notice: notice(20) })).status).toBe(200);
    const second = await recordedCall(s, emu);
    expect(await agentJoins(emu, second.trunk, second.agent)).toBe('recorded');
    const b = await joinedEvent(s, second.callId);
    expect(b.stopped).toBeUndefined();
    expect(b.joined.data).toMatchObject({ agentId: 'agent-100', recording: 'continues', notice: { lang: 'pl', version: expect.any(String), audioSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }, employeeNotice: { status: 'ok', ageDays: 20 } });
    expect(second.trunk.recording).not.toBeNull();
    expect(emu.actions.filter((x) => x.action === 'StopMixMonitor')).toHaveLength(1);
  });

  it('a transfer the service does not see: a third party bridged with the recorded caller stops the recording', async () => {
    const { s, emu, api } = await withRecordings();
    await api('PUT', '/agents/agent-100', { interfaces: ['PJSIP/100'], notice: { informedOn: day(30), documentVersion: '1', documentSha256: '5a'.repeat(32) } });
    const c = await recordedCall(s, emu);
    expect(await agentJoins(emu, c.trunk, c.agent)).toBe('recorded');
    // The agent blind-transfers by the phone itself: the target shows up only as BridgeEnter.
    const target = emu.addChannel({ channel: 'PJSIP/200-00000099', uniqueid: `${c.agent.uniqueid}9`, linkedid: c.trunk.linkedid, state: 'Up' });
    emu.bridge(c.agent, `bridge-${c.agent.uniqueid}`, false, 1);
    emu.bridge(target, `bridge-${c.agent.uniqueid}`, true, 2);
    await expect.poll(() => c.trunk.recording, { timeout: 10_000 }).toBeNull();
    const events = await s.service.store.callEvents(c.callId);
    expect(events.filter((e) => e.kind === 'party.joined').map((e) => e.data['via'])).toEqual(['queue', 'unannounced']);
    expect(events.find((e) => e.kind === 'recording.stopped' && e.data['restOfCall'] === true)?.data).toMatchObject({ reason: 'joiner_without_notice' });
  });
});

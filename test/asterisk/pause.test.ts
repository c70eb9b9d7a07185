/**
 * Pause and resume (PCI) on the real Asterisk, with the shipped manager.conf, extensions.conf
 * (consentline-recording-control) and features.conf: a consenting call reaches an agent who plays
 * continuous audio; the recording is paused once through the HTTP route (role agent-desktop) and
 * once by the agent's feature code *7 / *8 (DTMF through the bridge). The stored recording is
 * decrypted and measured: the paused stretch is digital silence (RMS below a threshold) as long
 * as the ledger's pause, and the rest is not silent.
 */
import { appendFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavSamples, windowRms, wavRate } from '../support/wav-rms.js';
import { REPO } from './harness/asterisk.js';
import { consentlineCli } from './harness/consentline.js';
import { decryptRecording, DID, rigForFile, until, type Rig } from './setup.js';

const TRUNK = 'consentline-test-trunk';
const ROUTE = 'consentline-test-pci';
/** Audio a muted MixMonitor writes is zeros: a window below this is silence. */
const SILENCE_RMS = 8;
/** Speech and screeching monkeys are far above it. */
const SOUND_RMS = 150;

// The shipped route's shape (recording gate, then the agent dialled with the pre-dial handler that
// gives the agent's channel the feature codes, and the joiner subroutine before the bridge), to an agent that plays ~20 s of audio: by HTTP
// only (DID hotline) or pressing *7 after ~3 s and *8 after the monkeys (DID unknown → default flow).
const TEST_DIALPLAN = `
[${ROUTE}]
exten => agents,1,Gosub(consentline-after,recording-gate,1)
 same => n,Dial(Local/\${IF($["\${CONSENTLINE_DID}" = "${DID.hotline}"]?http:dtmf)}@consentline-test-pci-agent,30,b(consentline-recording-control^agent-features^1)U(consentline-joiner^dial))
 same => n,Hangup()

[consentline-test-pci-agent]
exten => http,1,Answer()
 same => n,Playback(tt-monkeys&tt-weasels&tt-monkeys)
 same => n,Hangup()
exten => dtmf,1,Answer()
 same => n,Playback(tt-weasels&tt-weasels)
 same => n,SendDTMF(*7,250)
 same => n,Playback(tt-monkeys)
 same => n,SendDTMF(*8,250)
 same => n,Playback(tt-weasels&tt-monkeys)
 same => n,Hangup()
`;

const rigOf = rigForFile({
  // Both agents informed of monitoring long ago: their calls are recorded.
  agents: [{ agentId: 'pci-agent', interfaces: ['Local/http@consentline-test-pci-agent', 'Local/dtmf@consentline-test-pci-agent'], informedDaysAgo: 60 }],
  customize: async (etc) => {
    await copyFile(join(REPO, 'asterisk/features.conf'), join(etc, 'features.conf'));
    await appendFile(join(etc, 'extensions.conf'), TEST_DIALPLAN);
  },
  service: (_a, config) => ({
    config: { ...config, routes: { ...(config.routes as object), agents: { context: ROUTE, extension: 'agents' } }, recordings: { ...(config.recordings as object), control: { confirmTimeoutMs: 2000, maxPauseSeconds: 120, onMaxPause: 'stay_paused' } } },
  }),
});

async function deskToken(rig: Rig): Promise<string> {
  const r = await consentlineCli(['token', 'create', '--role', 'agent-desktop', '--name', 'desk 7', '--subject', 'agent-7', '--db', rig.service.dbPath], rig.service.env);
  if (r.code !== 0) throw new Error(`token create: ${r.stderr}`);
  return r.stdout.trim();
}

async function post(rig: Rig, token: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${rig.service.apiPort}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"reason":"payment_card"}' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A consenting call to the agent; resolves once MixMonitor runs, with the call and its ledger id. */
async function recordedCall(rig: Rig, did: string) {
  const call = await rig.observer.call(did, TRUNK);
  await call.finished(await call.prompt('menu'));
  await call.press('1');
  await call.waitFor('MIXMONITOR_FILENAME', (e) => e.type === 'ChannelVarset' && e.variable === 'MIXMONITOR_FILENAME', 30_000);
  const [callId] = rig.ledger.callIdsForChannel(call.ivrId);
  return { call, callId: callId! };
}

/** Decrypts the call's stored recording and measures it against the ledger's pause. */
async function measure(rig: Rig, callId: string, name: string) {
  await until(() => rig.ledger.recordings(callId).some((r) => r.state === 'done'), 60_000, `recording of ${callId} stored`);
  const rec = rig.ledger.recordings(callId)[0]!;
  const wav = await decryptRecording(rig, rec.id, join(rig.dir, `${name}.wav`), 'asterisk suite pause');
  const rate = wavRate(wav);
  const win = rate / 10; // 100 ms
  const levels = windowRms(readWavSamples(wav), win);
  // The longest run of silent windows is the pause; everything else is sound.
  let best = { from: 0, len: 0 };
  for (let i = 0; i < levels.length; ) {
    if (levels[i]! >= SILENCE_RMS) {
      i++;
      continue;
    }
    let j = i;
    while (j < levels.length && levels[j]! < SILENCE_RMS) j++;
    if (j - i > best.len) best = { from: i, len: j - i };
    i = j;
  }
  const outside = [...levels.slice(0, best.from), ...levels.slice(best.from + best.len)];
  const rmsOf = (xs: number[]) => Math.sqrt(xs.reduce((s, v) => s + v * v, 0) / Math.max(1, xs.length));
  return {
    seconds: levels.length / 10,
    silentSeconds: best.len / 10,
    silentFrom: best.from / 10,
    silentRms: rmsOf(levels.slice(best.from, best.from + best.len)),
    restRms: rmsOf(outside),
    restSilentShare: outside.filter((v) => v < SILENCE_RMS).length / Math.max(1, outside.length),
  };
}

function pauseSeconds(rig: Rig, callId: string): number {
  const events = rig.ledger.events(callId);
  const p = events.find((e) => e.kind === 'recording.paused');
  const r = events.find((e) => e.kind === 'recording.resumed');
  expect(p && r, 'paused and resumed in the ledger').toBeTruthy();
  return Number(r!.data['pausedSeconds']);
}

describe.sequential('real Asterisk: pause and resume (PCI)', () => {
  it('paused through the HTTP route: the paused stretch of the stored recording is silent, the rest is not', async () => {
    const rig = rigOf();
    const token = await deskToken(rig);
    const { call, callId } = await recordedCall(rig, DID.hotline);
    await new Promise((r) => setTimeout(r, 4000));
    const paused = await post(rig, token, `/calls/${callId}/recording/pause`);
    expect(paused, JSON.stringify(paused.body)).toMatchObject({ status: 200, body: { state: 'paused', changed: true } });
    await new Promise((r) => setTimeout(r, 6000));
    const resumed = await post(rig, token, `/calls/${callId}/recording/resume`);
    expect(resumed.body).toMatchObject({ state: 'recording', changed: true });
    await call.gone(60_000);

    const ledgerPause = pauseSeconds(rig, callId);
    const by = rig.ledger.events(callId).find((e) => e.kind === 'recording.paused')!.data['by'] as Record<string, unknown>;
    expect(by).toMatchObject({ source: 'api', role: 'agent-desktop' });
    expect(JSON.stringify(by)).not.toContain('agent-7');
    const m = await measure(rig, callId, 'paused-http');
    console.log(JSON.stringify({ scenario: 'http', ledgerPause, ...m }));
    expect(m.silentRms).toBeLessThan(SILENCE_RMS);
    expect(m.silentSeconds).toBeGreaterThan(ledgerPause - 1);
    expect(m.silentSeconds).toBeLessThan(ledgerPause + 1);
    expect(m.restRms).toBeGreaterThan(SOUND_RMS);
    expect(m.restSilentShare).toBeLessThan(0.2);
  });

  it('paused by the agent feature code *7 and resumed by *8 (DTMF in the bridge): silent while paused, sound before and after', async () => {
    const rig = rigOf();
    const { call, callId } = await recordedCall(rig, DID.unknown);
    await call.gone(90_000);
    const events = rig.ledger.events(callId);
    expect(events.find((e) => e.kind === 'recording.paused')?.data['by']).toMatchObject({ source: 'dialplan', via: 'feature-code' });
    expect(events.find((e) => e.kind === 'recording.resumed')?.data['by']).toMatchObject({ source: 'dialplan', via: 'feature-code' });
    const ledgerPause = pauseSeconds(rig, callId);
    const m = await measure(rig, callId, 'paused-dtmf');
    console.log(JSON.stringify({ scenario: 'feature-code', ledgerPause, ...m }));
    expect(m.silentRms).toBeLessThan(SILENCE_RMS);
    // The whole of tt-monkeys (16.18 s) plays while paused. MixMonitor writes the frames that flow,
    // not wall-clock time: while the agent's channel runs the feature's subroutine (digit timeout,
    // UserEvent, the wait for the answer) no audio flows, so the file's pause is shorter than the
    // ledger's by up to that (about 1 s measured), never longer.
    expect(m.silentSeconds).toBeGreaterThan(15.5);
    expect(m.silentSeconds).toBeLessThan(ledgerPause + 1);
    expect(m.silentFrom).toBeGreaterThan(2);
    expect(m.restRms).toBeGreaterThan(SOUND_RMS);
    const log = await import('node:fs/promises').then((fs) => fs.readFile(rig.service.logFile, 'utf8'));
    expect(log).toContain('recording control asked by the dialplan');
  });
});

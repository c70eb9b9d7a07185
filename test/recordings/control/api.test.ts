/**
 * The pause and resume routes over HTTP with the real recording control behind them (AMI
 * emulator, watcher, SQLite ledger and tokens, pipeline): role checks, the answers for a
 * confirmed pause, a mute not confirmed (stopped), nothing confirmed (503), an unknown call, and
 * the paused interval in the call's recordings listing.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { recordingControlRoutes, subjectPseudonym } from '../../../src/api/routes/recording-control.js';
import { recordingApiRoutes } from '../../../src/api/routes/recordings.js';
import { SqliteTokenStore, type Role } from '../../../src/api/tokens.js';
import type { ApiInstance } from '../../../src/api/types.js';
import { AccessLog } from '../../../src/evidence/access-log.js';
import { RecordingControl } from '../../../src/recordings/control/index.js';
import { asCallId } from '../../../src/recordings/pipeline/names.js';
import { RecordingRepo } from '../../../src/recordings/pipeline/repo.js';
import { createMetrics } from '../../../src/shared/metrics.js';
import { dialplanRecording, ledgerCall, PEPPER, waitFor, waitState, world, type World } from '../pipeline/helpers.js';

let w: World | undefined;
let control: RecordingControl | undefined;
let app: ApiInstance | undefined;
afterEach(async () => {
  await app?.close();
  await control?.close();
  await w?.close();
  app = control = w = undefined;
});

async function setup() {
  const x = (w = await world());
  x.pipeline();
  await waitFor(() => x.watcher?.connected, 'AMI login');
  control = new RecordingControl({ watcher: x.watcher!, evidence: x.evidence, log: x.sink.logger, callIdOf: asCallId, options: { confirmTimeoutMs: 300, maxPauseMs: 60_000, onMaxPause: 'stay_paused' } });
  const tokens = new SqliteTokenStore(x.db);
  app = await buildApp({
    log: x.sink.logger,
    tokens,
    metrics: createMetrics(),
    readiness: async () => ({}),
    routes: [
      recordingControlRoutes({ control, pepper: PEPPER }),
      ...recordingApiRoutes({ recordings: new RecordingRepo(x.db), store: x.objects, envelope: x.envelope, access: new AccessLog(x.evidence), callEvents: (id) => x.evidence.callEvents(id) }),
    ],
  });
  const token = async (role: Role, subject = `${role}-person`) => (await tokens.create(`t-${role}`, role, subject)).token;
  const callId = await ledgerCall(x, 'yes');
  const rec = dialplanRecording(x, callId, { seconds: 2 });
  await waitFor(() => control!.stateOf(callId) === 'recording', 'the recording seen');
  const post = async (path: string, tok: string, body?: object) =>
    app!.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${tok}` }, ...(body ? { payload: body } : {}) });
  return { x, callId, rec, token, post };
}

describe('POST /calls/:callId/recording/pause|resume on the AMI emulator', () => {
  test('agent-desktop pauses and resumes; other roles are refused; the listing shows the paused interval', async () => {
    const { x, callId, rec, token, post } = await setup();
    const desk = await token('agent-desktop', 'agent-7');
    for (const role of ['auditor', 'dpo', 'dialer'] as const) expect((await post(`/calls/${callId}/recording/pause`, await token(role))).statusCode, role).toBe(403);
    expect(x.emu.actions.filter((a) => a.action === 'MixMonitorMute')).toHaveLength(0);

    const paused = await post(`/calls/${callId}/recording/pause`, desk, { reason: 'payment_card' });
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ callId, state: 'paused', changed: true });
    expect((await post(`/calls/${callId}/recording/pause`, desk, { reason: 'Card 4111!' })).statusCode).toBe(400);
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(`/calls/${callId}/recording/resume`, desk)).json()).toMatchObject({ state: 'recording', changed: true });

    const ev = (await x.evidence.callEvents(callId)).find((e) => e.kind === 'recording.paused')!;
    expect(ev.data['by']).toMatchObject({ source: 'api', role: 'agent-desktop', subjectRef: subjectPseudonym(PEPPER, 'agent-7') });
    expect(JSON.stringify(ev.data)).not.toContain('agent-7');

    rec.hangup();
    await waitState(x, rec.file, 'done');
    const dpo = await token('dpo', 'iod');
    const listing = await app!.inject({ url: `/calls/${callId}/recordings`, headers: { authorization: `Bearer ${dpo}` } });
    const [r] = listing.json<{ recordings: Array<{ pausedIntervals: Array<Record<string, unknown>> }> }>().recordings;
    expect(r!.pausedIntervals).toHaveLength(1);
    expect(r!.pausedIntervals[0]).toMatchObject({ from: ev.at, endedBy: 'resumed' });
    expect(r!.pausedIntervals[0]!['toSecond'] as number).toBeGreaterThan(r!.pausedIntervals[0]!['fromSecond'] as number);
  });

  test('mute not confirmed: 200 stopped, then resume is 409 recording_stopped; nothing confirmed: 503', async () => {
    const { x, callId, token, post } = await setup();
    const desk = await token('agent-desktop');
    x.emu.leaveUnanswered('MixMonitorMute');
    expect((await post(`/calls/${callId}/recording/pause`, desk)).json()).toMatchObject({ state: 'stopped', changed: true });
    const resume = await post(`/calls/${callId}/recording/resume`, desk);
    expect(resume.statusCode).toBe(409);
    expect(resume.json()).toMatchObject({ error: 'recording_stopped' });

    const other = await ledgerCall(x, 'yes');
    dialplanRecording(x, other, { seconds: 1 });
    await waitFor(() => control!.stateOf(other) === 'recording', 'the second recording seen');
    x.emu.leaveUnanswered('StopMixMonitor');
    const failed = await post(`/calls/${other}/recording/pause`, desk);
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'recording_control_failed' });
  });

  test('unknown call 404, a call without a recording 409 not_recording', async () => {
    const { x, token, post } = await setup();
    const desk = await token('agent-desktop');
    const unknown = await post('/calls/7d7b2f7e-1111-4111-8111-111111111111/recording/pause', desk);
    expect(unknown.statusCode).toBe(404);
    const quiet = await ledgerCall(x, 'no');
    const r = await post(`/calls/${quiet}/recording/pause`, desk);
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: 'not_recording' });
  });
});

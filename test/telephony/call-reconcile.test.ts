import { describe, expect, it } from 'vitest';
import type { OpenCall } from '../../src/evidence/outcomes.js';
import type { CallSummary, NewEvent, StoredEvent } from '../../src/evidence/types.js';
import { callPosition, closeGoneCall, planReconcile, type CallLedger } from '../../src/telephony/call-reconcile.js';

const open = (callId: string, channelId: string, startedAt = '2026-03-01T09:00:00.000Z'): OpenCall => ({ callId, channelId, startedAt, flowId: 'main', language: 'pl' });
const none = { callIds: new Set<string>(), channelIds: new Set<string>() };

describe('planReconcile', () => {
  it('resumes open calls whose channel is held, closes the others', () => {
    const plan = planReconcile([open('a', 'ch1'), open('b', 'ch2')], new Set(['ch1']), none);
    expect(plan.resume.map((c) => c.callId)).toEqual(['a']);
    expect(plan.gone.map((c) => c.callId)).toEqual(['b']);
  });

  it('leaves calls and channels of live sessions alone', () => {
    const live = { callIds: new Set(['a']), channelIds: new Set(['ch2']) };
    // 'a' runs here; 'b' is a stale open call on a channel a live session holds: closed, never a second session.
    const plan = planReconcile([open('a', 'ch1'), open('b', 'ch2')], new Set(['ch1', 'ch2']), live);
    expect(plan.resume).toEqual([]);
    expect(plan.gone.map((c) => c.callId)).toEqual(['b']);
  });

  it('of two open calls naming one held channel resumes the newest and closes the older', () => {
    const plan = planReconcile([open('old', 'ch1', '2026-03-01T09:00:00.000Z'), open('new', 'ch1', '2026-03-01T09:05:00.000Z')], new Set(['ch1']), none);
    expect(plan.resume.map((c) => c.callId)).toEqual(['new']);
    expect(plan.gone.map((c) => c.callId)).toEqual(['old']);
  });
});

describe('callPosition', () => {
  const played = (n: number | string, step: string) =>
    ({ kind: 'prompt.played', data: { playbackId: `call-1-${n}`, step } }) as unknown as StoredEvent;

  it('names the playback after the last recorded one, and its step', () => {
    expect(callPosition('call-1', [played(1, 'notice'), played(2, 'menu')], 'notice')).toEqual({ step: 'menu', playbackId: 'call-1-3' });
  });

  it('with no prompt recorded: the first playback, in the flow\'s first step; odd ids do not count', () => {
    expect(callPosition('call-1', [], 'language')).toEqual({ step: 'language', playbackId: 'call-1-1' });
    expect(callPosition('call-1', [played('x', 'notice')], 'language').playbackId).toBe('call-1-1');
  });
});

describe('closeGoneCall', () => {
  const summary = (outcome: CallSummary['outcome']) => ({ callId: 'a', outcome }) as CallSummary;
  const run = async (now: CallSummary | null) => {
    const appended: NewEvent[] = [];
    const ledger: CallLedger = { openCalls: async () => [], callEvents: async () => [], getCall: async () => now };
    const evidence = { append: async (e: NewEvent) => (appended.push(e), {} as StoredEvent) };
    const closed = await closeGoneCall({ ledger, evidence, clock: { now: () => 0 } }, open('a', 'ch1'));
    return { closed, appended };
  };

  it('closes a still-open call as abandoned, ended while the service was down', async () => {
    const { closed, appended } = await run(summary(null));
    expect(closed).toBe(true);
    expect(appended).toEqual([expect.objectContaining({ callId: 'a', kind: 'call.abandoned', data: expect.objectContaining({ reason: 'ended_while_service_down', recording: 'no' }) })]);
  });

  it('writes nothing for a call that got its outcome meanwhile, or that is unknown', async () => {
    expect((await run(summary('continued'))).appended).toEqual([]);
    expect((await run(null)).appended).toEqual([]);
  });
});

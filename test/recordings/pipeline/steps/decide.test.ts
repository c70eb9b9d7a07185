import { afterEach, describe, expect, test } from 'vitest';
import type { AudioVerdict } from '../../../../src/recordings/pipeline/audio-check.js';
import { decide, decideOnce } from '../../../../src/recordings/pipeline/steps/decide.js';
import type { CallSummary } from '../../../../src/evidence/types.js';
import { CALL_ID, RECORDING_ID, rowIn, stepWorld, T0, type StepWorld } from './step-fakes.js';

let w: StepWorld;
afterEach(() => w?.close());

const fiveSeconds: AudioVerdict = { ok: true, audio: { codec: 'pcm', channels: 1, sampleRate: 8000, bitsPerSample: 16, dataBytes: 80_000, durationSeconds: 5, sizesFinal: true } };
function consented(over: Partial<CallSummary> = {}) {
  const call = { callId: CALL_ID, startedAt: new Date(T0 - 60_000).toISOString(), endedAt: new Date(T0).toISOString(), callerLookup: 'lk', recording: 'yes', ...over } as unknown as CallSummary;
  return { getCall: async (id: string) => (id === CALL_ID ? call : null) };
}

describe('decide: keep or quarantine', () => {
  test('a consented call of plausible length keeps its recording', async () => {
    w = stepWorld({ evidence: consented() });
    expect(await decide(rowIn('spooled', { disposition: null }), fiveSeconds, w.ports)).toEqual({ disposition: 'keep' });
  });

  test.each([
    ['no consent', consented({ recording: 'no' }), {}, 'no_consent'],
    ['a caller on the do-not-record list', consented(), { isDoNotRecord: (k: string) => k === 'lk' }, 'do_not_record'],
    ['a call the ledger does not know', { getCall: async () => null }, {}, 'unknown_call'],
  ])('quarantines %s', async (_what, evidence, over, reason) => {
    w = stepWorld({ evidence, ...over });
    expect(await decide(rowIn('spooled', { disposition: null }), fiveSeconds, w.ports)).toMatchObject({ disposition: 'quarantine', reason });
  });

  test('a file name naming another call than the row: id_mismatch, before the ledger is asked', async () => {
    w = stepWorld({ evidence: { getCall: async () => Promise.reject(new Error('must not be asked')) } });
    const row = rowIn('spooled', { disposition: null, source_name: `consentline-${RECORDING_ID}-1.wav` });
    expect(await decide(row, fiveSeconds, w.ports)).toMatchObject({ reason: 'id_mismatch' });
  });
});

describe('decideOnce', () => {
  test('persists a quarantine under the quarantine prefix and writes recording.quarantined; a retry keeps the first decision', async () => {
    w = stepWorld({ evidence: consented({ recording: 'no' }) });
    const decided = await decideOnce(rowIn('spooled', { disposition: null, object_key: null }), fiveSeconds, w.ports);
    expect(decided).toMatchObject({ state: 'spooled', disposition: 'quarantine', quarantine_reason: 'no_consent', object_key: `quarantine/2026/03/01/${RECORDING_ID}.wav.enc` });
    expect(w.ledger).toEqual([{ kind: 'recording.quarantined', data: { reason: 'no_consent', quarantineDays: 7 } }]);
    // The call's consent shows up later: the persisted decision stands.
    const again = await decideOnce(decided, fiveSeconds, { ...w.ports, evidence: consented() });
    expect(again.disposition).toBe('quarantine');
    expect(w.writes).toHaveLength(1);
  });
});

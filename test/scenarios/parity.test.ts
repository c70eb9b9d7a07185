/**
 * "One scenario, two targets" (issue 18.3), the emulator side: the shared scenarios of
 * shared/parity-scenarios.ts on the ARI emulator, whose event stream must match what the real
 * Asterisk sent for the same scenario (test/fixtures/asterisk-streams/, recorded by
 * test/asterisk/parity.test.ts) wherever ConsentLine depends on it: the event types on the
 * channel in order, the JSON types of the fields it reads, and how each playback ended.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventsOfChannel, scenarioPerTest } from './harness.js';
import { PARITY_FLOW, PARITY_SCENARIOS, runSteps, type ScenarioCall } from './shared/parity-scenarios.js';
import { channelStream, recordStream, streamDifferences, type RecordedStream } from './shared/streams.js';
import type { RawAriEvent } from '../../src/telephony/ari/events.js';

const start = scenarioPerTest();
const DID = '48221000001';
const PROMPT_MS = { 'consentline/notice': 600, 'consentline/menu': 600, 'consentline/invalid': 600 };
function recorded(name: string): RecordedStream {
  const file = new URL(`../fixtures/asterisk-streams/${name}.json`, import.meta.url);
  if (!existsSync(file)) throw new Error(`no stream recorded for scenario ${name}: RECORD_STREAMS=1 npx vitest run --project asterisk test/asterisk/parity.test.ts`);
  return JSON.parse(readFileSync(file, 'utf8')) as RecordedStream;
}

describe('the emulator sends what the real Asterisk sent for the same scenario', () => {
  for (const scenario of PARITY_SCENARIOS) {
    it(scenario.title, { timeout: 60_000 }, async () => {
      // One-word prompts last about as long on the real Asterisk: a key pressed on PlaybackStarted lands inside them.
      const s = await start({ flow: PARITY_FLOW, emulator: { playbackMs: PROMPT_MS } });
      const handle = s.emu.originate({ callerNumber: '600100200', callerName: 'Test Caller', exten: DID, args: [DID], language: 'pl' });
      const mine = () => s.emu.events.filter((e) => e.delivered && e.channelId === handle.id).map((e) => e.event as RawAriEvent);
      const target: ScenarioCall = {
        playback: (edge, prompt, nth) => {
          // A media of a list that is not the last ends with PlaybackContinuing naming it.
          const types = edge === 'started' ? ['PlaybackStarted'] : ['PlaybackFinished', 'PlaybackContinuing'];
          const media = `sound:consentline/${prompt}`;
          const seen = () => mine().filter((e) => types.includes(String(e.type)) && (e.playback as { media_uri?: string }).media_uri === media).length;
          return s.emu.waitFor(() => seen() >= nth, { timeoutMs: 30_000, what: `${edge} #${nth} of ${media}` });
        },
        press: async (digits) => {
          for (const d of digits) handle.dtmf(d);
        },
        hangup: async () => handle.hangup(),
      };
      await runSteps(target, scenario.steps);
      await handle.outcome();
      await s.service.calls.drain();
      const callId = (await eventsOfChannel(s.service, handle.id))[0]?.callId ?? '';
      const call = await s.service.store.getCall(callId);
      expect({ outcome: call?.outcome, recording: call?.recording }).toEqual(scenario.expect);
      const stream = recordStream(scenario.name, 'ARI emulator', channelStream(mine(), handle.id));
      expect(streamDifferences(recorded(scenario.name), stream)).toEqual([]);
    });
  }
});

describe('the comparison notices what ConsentLine depends on', () => {
  const base = recorded('consent-key-1');
  it('passes the recording against itself', () => {
    expect(streamDifferences(base, base)).toEqual([]);
  });
  it('fails on a missing event, a changed field type and a different playback end', () => {
    const shapes = structuredClone(base.shapes);
    shapes.ChannelDtmfReceived!.duration_ms = ['string'];
    const changed: RecordedStream = { ...base, types: base.types.filter((t) => t !== 'StasisEnd'), shapes, playbackStates: base.playbackStates.map(() => 'failed') };
    const diffs = streamDifferences(base, changed);
    expect(diffs.some((d) => d.startsWith('event types differ'))).toBe(true);
    expect(diffs).toContain('ChannelDtmfReceived.duration_ms: expected number, actual string');
    expect(diffs.some((d) => d.startsWith('PlaybackFinished states differ'))).toBe(true);
  });
  it('ignores fields ConsentLine does not read', () => {
    const shapes = structuredClone(base.shapes);
    shapes.StasisStart!['channel.accountcode'] = ['number'];
    expect(streamDifferences(base, { ...base, shapes })).toEqual([]);
  });
});

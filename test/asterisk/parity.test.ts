/**
 * "One scenario, two targets" (issue 18.3), the real-Asterisk side: the shared scenarios of
 * test/scenarios/shared/parity-scenarios.ts through the shipped dialplan, with a tap between
 * ConsentLine and Asterisk keeping what the app receives. With RECORD_STREAMS=1 the streams are
 * written to test/fixtures/asterisk-streams/ (the emulator side, test/scenarios/parity.test.ts,
 * compares against them); without, the real stream must still match the recorded one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './harness/asterisk.js';
import { AriTap } from './harness/tap.js';
import { DID, startRig, until, type Rig } from './setup.js';
import { PARITY_SCENARIOS, runSteps, type ScenarioCall } from '../scenarios/shared/parity-scenarios.js';
import { channelStream, recordStream, streamDifferences, type RecordedStream } from '../scenarios/shared/streams.js';

const FIXTURES = join(REPO, 'test/fixtures/asterisk-streams');
const RECORD = process.env.RECORD_STREAMS === '1';

let rig: Rig;
let tap: AriTap;
beforeAll(async () => {
  rig = await startRig({
    ariUrl: async (a) => {
      tap = await AriTap.start(a.httpPort);
      return tap.url;
    },
  });
}, 600_000);
afterAll(async () => {
  await rig?.close();
  await tap?.close();
}, 60_000);

describe.sequential('real Asterisk: the shared parity scenarios, streams recorded', () => {
  for (const scenario of PARITY_SCENARIOS) {
    it(scenario.title, async () => {
      const call = await rig.observer.call(DID.hotline, 'consentline-test-trunk');
      const target: ScenarioCall = {
        async playback(edge, prompt, nth) {
          const started = await call.prompt(prompt, nth, 40_000);
          if (edge === 'finished') await call.finished(started, 40_000);
        },
        press: (digits) => call.press(digits),
        hangup: () => call.hangup(),
      };
      await runSteps(target, scenario.steps);
      const ended = await rig.ledger.ended(call.ivrId, 60_000);
      expect({ outcome: ended.outcome, recording: ended.recording }).toEqual(scenario.expect);
      await until(() => channelStream(tap.events, call.ivrId).some((e) => e.type === 'StasisEnd'), 30_000, `StasisEnd of ${call.ivrId}`);
      const stream = recordStream(scenario.name, 'Asterisk 22.10.1 (scripts/asterisk/build.sh), shipped dialplan, test/asterisk/parity.test.ts', channelStream(tap.events, call.ivrId));
      const file = join(FIXTURES, `${scenario.name}.json`);
      if (RECORD) writeFileSync(file, `${JSON.stringify(stream, null, 2)}\n`);
      else expect(streamDifferences(JSON.parse(readFileSync(file, 'utf8')) as RecordedStream, stream)).toEqual([]);
    });
  }
});

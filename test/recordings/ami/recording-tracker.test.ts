/** The per-channel recording state machine, fed typed messages, with Getvar answered by a stub. */
import { describe, expect, test } from 'vitest';
import type { AmiWatcherEvents } from '../../../src/recordings/ami/events.js';
import type { GetVarOutcome } from '../../../src/recordings/ami/protocol.js';
import { RecordingTracker } from '../../../src/recordings/ami/recording-tracker.js';
import { logSink } from './helpers.js';

type Emitted = { event: keyof AmiWatcherEvents; payload: unknown };
const ref = { uniqueid: 'u1', linkedid: 'l1', channel: 'PJSIP/a-1' };

function tracker(getVar: (channel: string, name: string) => Promise<GetVarOutcome> = async () => ({ status: 'not-connected' })) {
  const out: Emitted[] = [];
  const t = new RecordingTracker({ log: logSink().logger, emit: (event, payload) => out.push({ event, payload }), getVar });
  return { t, out, names: () => out.map((e) => e.event) };
}

describe('RecordingTracker', () => {
  test('file name, consent on another channel of the call, start, hang-up: one start and one stop', () => {
    const { t, out, names } = tracker();
    t.handle({ kind: 'consentVar', ref: { uniqueid: 'u0', linkedid: 'l1' }, name: 'CONSENT_ID', value: 'c-1' });
    t.handle({ kind: 'fileName', ref, path: '/spool/f.wav' });
    t.handle({ kind: 'monitorStart', ref });
    t.handle({ kind: 'monitorStart', ref });
    expect(t.active()).toEqual([{ channel: 'PJSIP/a-1', uniqueid: 'u1', linkedid: 'l1', consentId: 'c-1', file: '/spool/f.wav' }]);
    t.handle({ kind: 'hangup', uniqueid: 'u1' });
    t.handle({ kind: 'hangup', uniqueid: 'u1' });
    expect(names()).toEqual(['consentVar', 'recordingStarted', 'recordingFileKnown', 'recordingStopped']);
    expect(out[3]!.payload).toEqual({ channel: 'PJSIP/a-1', uniqueid: 'u1', linkedid: 'l1', reason: 'hangup', consentId: 'c-1', file: '/spool/f.wav' });
    expect(t.active()).toEqual([]);
  });

  test('a start without a preceding file name asks Asterisk for MIXMONITOR_FILENAME', async () => {
    const asked: string[] = [];
    const { t, out } = tracker(async (_channel, name) => {
      asked.push(name);
      return name === 'MIXMONITOR_FILENAME' ? { status: 'ok', value: '/spool/late.wav' } : { status: 'ok', value: '' };
    });
    t.handle({ kind: 'monitorStart', ref });
    await new Promise((resolve) => setImmediate(resolve));
    // The consent variables, unseen too, are asked for as well (before the start is judged).
    expect(asked.sort()).toEqual(['CONSENT_ID', 'CONSENT_RECORDING', 'MIXMONITOR_FILENAME']);
    expect(out.at(-1)).toEqual({ event: 'recordingFileKnown', payload: { channel: 'PJSIP/a-1', uniqueid: 'u1', linkedid: 'l1', path: '/spool/late.wav' } });
  });

  test('a start whose consent VarSets were not seen reads them with Getvar and logs the start as consented', async () => {
    const sink = logSink();
    const vars: Record<string, string> = { CONSENT_ID: 'c-9', CONSENT_RECORDING: 'yes', MIXMONITOR_FILENAME: '/spool/f.wav' };
    const out: Emitted[] = [];
    const t = new RecordingTracker({ log: sink.logger, emit: (event, payload) => out.push({ event, payload }), getVar: async (_c, name) => ({ status: 'ok', value: vars[name] ?? '' }) });
    t.handle({ kind: 'monitorStart', ref });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sink.text()).toContain('"msg":"recording started"');
    expect(sink.text()).not.toContain('without CONSENT_RECORDING=yes');
    expect(t.active()).toEqual([{ channel: 'PJSIP/a-1', uniqueid: 'u1', linkedid: 'l1', consentId: 'c-9', file: '/spool/f.wav' }]);
    // Learnt, not re-emitted: nothing may start a second MixMonitor on it.
    expect(out.map((e) => e.event)).toEqual(['recordingStarted', 'recordingFileKnown']);
  });

  test('a stop without a start is ignored', () => {
    const { t, names } = tracker();
    t.handle({ kind: 'fileName', ref, path: '/spool/f.wav' });
    t.handle({ kind: 'monitorStop', uniqueid: 'u1' });
    expect(names()).toEqual([]);
  });

  test('reconcile: a channel gone while AMI was down ends its recording (recovered); a live one has its consent re-read', async () => {
    const { t, out } = tracker();
    const other = { uniqueid: 'u2', linkedid: 'l2', channel: 'PJSIP/b-2' };
    t.handle({ kind: 'fileName', ref, path: '/spool/f.wav' });
    t.handle({ kind: 'monitorStart', ref });
    t.handle({ kind: 'monitorStart', ref: other });
    out.length = 0;
    const answers: Record<string, GetVarOutcome> = {
      'PJSIP/a-1 UNIQUEID': { status: 'error', message: 'No such channel' },
      'PJSIP/b-2 UNIQUEID': { status: 'ok', value: 'u2' },
      'PJSIP/b-2 CONSENT_ID': { status: 'ok', value: 'c-2' },
      'PJSIP/b-2 CONSENT_RECORDING': { status: 'ok', value: '' },
    };
    await t.reconcile(async (channel, name) => answers[`${channel} ${name}`] ?? { status: 'timeout' }, () => true);
    expect(out.map((e) => [e.event, e.payload])).toEqual([
      ['recordingStopped', { channel: 'PJSIP/a-1', uniqueid: 'u1', linkedid: 'l1', reason: 'hangup', file: '/spool/f.wav', recovered: true }],
      ['consentVar', { channel: 'PJSIP/b-2', uniqueid: 'u2', linkedid: 'l2', name: 'CONSENT_ID', value: 'c-2' }],
    ]);
    expect(t.active().map((a) => a.uniqueid)).toEqual(['u2']);
  });

  test('reconcile stops at once when the session is lost', async () => {
    const { t, out } = tracker();
    t.handle({ kind: 'monitorStart', ref });
    out.length = 0;
    await t.reconcile(async () => ({ status: 'error', message: 'gone' }), () => false);
    expect(out).toEqual([]);
    expect(t.countRecording()).toBe(1);
  });
});

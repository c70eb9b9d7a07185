/** AMI messages as Asterisk 22 sends them (lower-cased keys), translated without a session. */
import { describe, expect, test } from 'vitest';
import { mixMonitorRefusal, toGetVarOutcome, translateAmiEvent } from '../../../src/recordings/ami/protocol.js';

describe('translateAmiEvent', () => {
  test('VarSet MIXMONITOR_FILENAME (inherited) names the file of the channel', () => {
    const m = translateAmiEvent({ event: 'VarSet', channel: 'PJSIP/a-1', uniqueid: 'u1', linkedid: 'l1', variable: '__MIXMONITOR_FILENAME', value: '/spool/x.wav' });
    expect(m).toEqual({ kind: 'fileName', ref: { uniqueid: 'u1', linkedid: 'l1', channel: 'PJSIP/a-1' }, path: '/spool/x.wav' });
  });

  test('a CONSENT_ variable loses its inheritance underscores; linkedid defaults to uniqueid', () => {
    expect(translateAmiEvent({ event: 'VarSet', uniqueid: 'u1', variable: '_CONSENT_ID', value: 'c-1' })).toEqual({
      kind: 'consentVar',
      ref: { uniqueid: 'u1', linkedid: 'u1' },
      name: 'CONSENT_ID',
      value: 'c-1',
    });
  });

  test('events it does not follow, and events without a uniqueid, translate to nothing', () => {
    expect(translateAmiEvent({ event: 'VarSet', uniqueid: 'u1', variable: 'OTHER', value: 'x' })).toBeNull();
    expect(translateAmiEvent({ event: 'Newchannel', uniqueid: 'u1' })).toBeNull();
    expect(translateAmiEvent({ event: 'MixMonitorStart', channel: 'PJSIP/a-1' })).toBeNull();
    expect(translateAmiEvent({ event: 'Hangup' })).toBeNull();
  });

  test('start, stop and hang-up, whatever the case of the event name', () => {
    expect(translateAmiEvent({ event: 'MIXMONITORSTART', uniqueid: 'u1', linkedid: 'l1' })).toEqual({ kind: 'monitorStart', ref: { uniqueid: 'u1', linkedid: 'l1' } });
    expect(translateAmiEvent({ event: 'MixMonitorStop', uniqueid: 'u1' })).toEqual({ kind: 'monitorStop', uniqueid: 'u1' });
    expect(translateAmiEvent({ event: 'Hangup', uniqueid: 'u1' })).toEqual({ kind: 'hangup', uniqueid: 'u1' });
  });
});

describe('actions', () => {
  test('Getvar answers become outcomes (an absent value is empty)', () => {
    expect(toGetVarOutcome({ status: 'success', fields: {} })).toEqual({ status: 'ok', value: '' });
    expect(toGetVarOutcome({ status: 'error', message: 'No such channel', fields: {} })).toEqual({ status: 'error', message: 'No such channel' });
    expect(toGetVarOutcome({ status: 'timeout' })).toEqual({ status: 'timeout' });
  });

  test('MixMonitor is refused before sending for a path or a channel with line breaks', () => {
    expect(mixMonitorRefusal('PJSIP/a-1', '../etc/passwd')).toEqual({ status: 'rejected', reason: 'invalid-file' });
    expect(mixMonitorRefusal('PJSIP/a-1\r\nAction: Originate', 'consentline-x.wav')).toEqual({ status: 'rejected', reason: 'invalid-channel' });
    expect(mixMonitorRefusal('', 'consentline-x.wav')).toEqual({ status: 'rejected', reason: 'invalid-channel' });
  });
});

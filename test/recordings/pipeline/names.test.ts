/** The call id a recording's name carries: spool file names and ARI stored-recording names (no format suffix). */
import { describe, expect, test } from 'vitest';
import { callIdFromFileName } from '../../../src/recordings/pipeline/names.js';

const ID = '55a7c41f-c900-499a-ae2c-533d0a4d5027';

describe('callIdFromFileName', () => {
  test('a spool file name made by the dialplan', () => {
    expect(callIdFromFileName(`consentline-${ID}-1700000000.12.wav`)).toBe(ID);
  });

  test('the same recording as ARI names it (source ari: no .wav)', () => {
    expect(callIdFromFileName(`consentline-${ID}-1700000000.12`)).toBe(ID);
    expect(callIdFromFileName(`consentline-${ID}-ivrca845b5602a6`)).toBe(ID);
  });

  test('names of another shape carry no call id', () => {
    expect(callIdFromFileName(`other-${ID}-1.wav`)).toBeNull();
    expect(callIdFromFileName(`consentline-${ID}.wav`)).toBeNull();
    expect(callIdFromFileName(`consentline-not-a-uuid-1.wav`)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { decideRange } from '../../src/api/range.js';

describe('decideRange (RFC 9110 single byte ranges)', () => {
  const N = 1000;
  it.each([
    [undefined, { kind: 'whole' }],
    ['bytes=0-43', { kind: 'partial', start: 0, end: 43 }],
    ['bytes=500-', { kind: 'partial', start: 500, end: 999 }],
    ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=990-5000', { kind: 'partial', start: 990, end: 999 }],
    ['Bytes = 1 - 2', { kind: 'partial', start: 1, end: 2 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-9,20-29', { kind: 'whole' }],
    ['bytes=5-1', { kind: 'whole' }],
    ['bytes=-', { kind: 'whole' }],
    ['bytes=a-b', { kind: 'whole' }],
    ['items=0-9', { kind: 'whole' }],
    ['bytes=99999999999999999-', { kind: 'whole' }],
    [`bytes=0-1${' '.repeat(300)}`, { kind: 'whole' }],
  ] as const)('%j → %j', (header, expected) => {
    expect(decideRange(header, N)).toEqual(expected);
  });

  it('an empty representation has no satisfiable range', () => {
    expect(decideRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-10', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange(undefined, 0)).toEqual({ kind: 'whole' });
  });
});

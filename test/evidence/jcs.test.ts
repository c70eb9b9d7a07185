import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jcs, jcsString } from '../../src/evidence/jcs.js';

describe('jcs: RFC 8785 text, as the canonicalize package writes it', () => {
  it('equals canonicalize on arbitrary JSON (full Unicode strings, floats, deep nesting)', () => {
    const value = fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' });
    fc.assert(
      fc.property(value, (v) => {
        expect(jcs(v)).toBe(canonicalize(v));
      }),
      { numRuns: 2_000 },
    );
  });

  it('sorts keys by UTF-16 code units and prints numbers as ECMAScript does (RFC 8785 §3.2.3 sample)', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    expect(jcs(input)).toBe(`{${order.map((k) => `${JSON.stringify(k)}:${JSON.stringify((input as Record<string, string>)[k])}`).join(',')}}`);
    expect(jcs([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333, 9007199254740992])).toBe('[1e+21,1e-7,0,0.30000000000000004,333333333.3333333,9007199254740992]');
  });

  it('drops undefined members and writes undefined array items as null, as JSON.stringify does', () => {
    expect(jcs({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
    expect(jcs({ b: undefined, a: [undefined, 1] })).toBe(canonicalize({ b: undefined, a: [undefined, 1] }));
    expect(jcs(undefined)).toBeUndefined();
  });

  it('encodes what toJSON returns (a Date as its ISO text)', () => {
    const d = new Date('2026-01-01T00:00:00.000Z');
    expect(jcs({ at: d })).toBe('{"at":"2026-01-01T00:00:00.000Z"}');
    expect(jcs({ at: d })).toBe(canonicalize({ at: d }));
  });

  it('refuses NaN, infinities, lone surrogates (in values and in keys) and cycles', () => {
    expect(() => jcs({ x: Number.NaN })).toThrow('NaN');
    expect(() => jcs([Number.POSITIVE_INFINITY])).toThrow('Infinity');
    expect(() => jcs({ x: 'a\ud800' })).toThrow('Lone surrogate');
    expect(() => jcs({ '\udc00': 1 })).toThrow('Lone surrogate');
    expect(() => jcsString('\ud800\ud800')).toThrow('Lone surrogate');
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = { back: loop };
    expect(() => jcs(loop)).toThrow('Circular');
  });

  it('does not mistake a value seen twice (not an ancestor) for a cycle', () => {
    const shared = { k: 'v' };
    expect(jcs({ a: shared, b: [shared, shared] })).toBe('{"a":{"k":"v"},"b":[{"k":"v"},{"k":"v"}]}');
  });
});

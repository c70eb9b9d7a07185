import { describe, expect, it } from 'vitest';
import { daysBetween, niceScale, scaleTo, sharesOf } from '../../src/console/chart-scale.js';

describe('niceScale', () => {
  it('covers the largest value with 1, 2 or 5 × 10^n steps', () => {
    expect(niceScale(12)).toEqual({ max: 15, step: 5, ticks: [0, 5, 10, 15] });
    expect(niceScale(100)).toEqual({ max: 100, step: 50, ticks: [0, 50, 100] });
    expect(niceScale(7)).toEqual({ max: 8, step: 2, ticks: [0, 2, 4, 6, 8] });
    expect(niceScale(2_740)).toEqual({ max: 3_000, step: 1_000, ticks: [0, 1_000, 2_000, 3_000] });
    for (const largest of [1, 3, 9, 11, 99, 101, 999, 12_345]) {
      const s = niceScale(largest);
      expect(s.max).toBeGreaterThanOrEqual(largest);
      expect(Number.isInteger(s.step)).toBe(true);
      expect(String(s.step)).toMatch(/^[125]0*$/);
      expect(s.ticks.length).toBeLessThanOrEqual(6);
      expect(s.ticks.at(-1)).toBe(s.max);
    }
  });

  it('gives a unit axis for no calls, whole steps for small counts, and refuses what is not a count', () => {
    expect(niceScale(0)).toEqual({ max: 1, step: 1, ticks: [0, 1] });
    expect(niceScale(2)).toEqual({ max: 2, step: 1, ticks: [0, 1, 2] });
    expect(() => niceScale(-1)).toThrow(RangeError);
    expect(() => niceScale(Number.NaN)).toThrow(RangeError);
    expect(() => niceScale(5, 0)).toThrow(RangeError);
  });

  it('places values proportionally, negatives at zero', () => {
    const s = niceScale(12);
    expect(scaleTo(15, s, 300)).toBe(300);
    expect(scaleTo(5, s, 300)).toBe(100);
    expect(scaleTo(-3, s, 300)).toBe(0);
  });
});

describe('sharesOf', () => {
  it('gives whole percentages that add up to exactly 100', () => {
    expect(sharesOf([1, 1, 1])).toEqual([34, 33, 33]);
    expect(sharesOf([9, 1, 1, 1, 0])).toEqual([75, 9, 8, 8, 0]);
    expect(sharesOf([2, 0])).toEqual([100, 0]);
    for (const parts of [[7, 3, 1], [1, 2, 3, 4, 5], [1000, 1], [3, 3, 3, 3, 3, 3, 3]]) expect(sharesOf(parts).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('gives zeros when there is nothing', () => {
    expect(sharesOf([0, 0, 0])).toEqual([0, 0, 0]);
    expect(sharesOf([])).toEqual([]);
  });
});

describe('daysBetween', () => {
  it('lists every UTC day inclusive, across a month end and a leap day', () => {
    expect(daysBetween('2028-02-27', '2028-03-01')).toEqual(['2028-02-27', '2028-02-28', '2028-02-29', '2028-03-01']);
    expect(daysBetween('2026-12-07', '2026-12-07')).toEqual(['2026-12-07']);
    expect(daysBetween('2026-12-08', '2026-12-07')).toEqual([]);
  });
});

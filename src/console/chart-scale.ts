/**
 * The overview charts' arithmetic, kept apart from the drawing: a "nice" value axis (steps of
 * 1, 2 or 5 × 10^n that cover the largest value) and shares that add up to exactly 100 %.
 */

export interface Scale {
  /** The axis top: a whole number of steps, at least the largest value (1 when all are 0). */
  readonly max: number;
  readonly step: number;
  /** 0, step, 2·step … max. */
  readonly ticks: readonly number[];
}

/** A value axis for counts: integer steps of 1, 2 or 5 × 10^n, about `target` of them. */
export function niceScale(largest: number, target = 4): Scale {
  if (!Number.isFinite(largest) || largest < 0) throw new RangeError(`not a count: ${largest}`);
  if (target < 1) throw new RangeError(`target must be at least 1: ${target}`);
  const top = Math.max(1, Math.ceil(largest));
  const rough = top / target;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude);
  const max = Math.ceil(top / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  return { max, step, ticks };
}

/** Where `value` sits on an axis of `length` pixels (0 at the bottom/left). */
export function scaleTo(value: number, scale: Scale, length: number): number {
  return (Math.max(0, value) / scale.max) * length;
}

/**
 * Whole-number percentages of `parts` that add up to 100 (largest remainder), so a chart's
 * labels never show 99 % or 101 %. All zeros give all zeros.
 */
export function sharesOf(parts: readonly number[]): number[] {
  const total = parts.reduce((a, b) => a + b, 0);
  if (total <= 0) return parts.map(() => 0);
  const exact = parts.map((p) => (p / total) * 100);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]! += 1;
    left -= 1;
  }
  return floors;
}

/** Every UTC day from `from` to `to` (YYYY-MM-DD, inclusive). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

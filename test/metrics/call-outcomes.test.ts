import { describe, expect, it } from 'vitest';
import { CALL_OUTCOMES } from '../../src/shared/metrics.js';
import type { FlowEnd } from '../../src/telephony/flow/types.js';

// shared/ may not import telephony/ (lint:arch), so the metric's label set and the flow's
// outcomes are tied together here: both assignments fail to type-check when one side changes.
type Outcome = FlowEnd['outcome'];
const labelsAreOutcomes: readonly Outcome[] = CALL_OUTCOMES;
const everyOutcome: Record<Outcome, true> = { continued: true, objected: true, abandoned: true, failed: true };

describe('consentline_calls_total outcome labels', () => {
  it('are exactly the outcomes a flow can end with', () => {
    expect([...labelsAreOutcomes].sort()).toEqual(Object.keys(everyOutcome).sort());
  });
});

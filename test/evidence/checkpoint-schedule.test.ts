import { describe, expect, it } from 'vitest';
import type { Checkpoint, CreateCheckpointResult } from '../../src/evidence/checkpoint.js';
import { startCheckpointSchedule, type SchedulableCheckpoints } from '../../src/evidence/checkpoint-schedule.js';
import { captureLogger } from '../telephony/ari/helpers.js';

/** A ledger of `head` events whose create() signs at the head, on a hand-moved clock. */
function fakeLedger(start = Date.parse('2026-03-01T09:00:00Z')) {
  let now = start;
  const state = { head: 0, signed: [] as Checkpoint[], failNext: false };
  const service: SchedulableCheckpoints = {
    headSize: async () => state.head,
    latest: async () => state.signed[state.signed.length - 1] ?? null,
    create: async (): Promise<CreateCheckpointResult> => {
      if (state.failNext) {
        state.failNext = false;
        throw new Error('database gone');
      }
      const cp: Checkpoint = { id: state.signed.length + 1, treeSize: state.head, rootHash: 'ab'.repeat(32), origin: 'o', keyId: '00000000', note: '', createdAt: new Date(now).toISOString() };
      state.signed.push(cp);
      return { ok: true, checkpoint: cp, created: true };
    },
  };
  return { service, state, clock: { now: () => now }, advance: (ms: number) => (now += ms) };
}

const HOUR = 3_600_000;

describe('scheduled checkpoints', () => {
  it('signs the first one as soon as the ledger is not empty, then by age or by count; never over nothing new', async () => {
    const l = fakeLedger();
    const { logger, lines } = captureLogger();
    const s = startCheckpointSchedule(l.service, { everyMs: 10 * 60_000, everyEvents: 100, clock: l.clock, firstAfterMs: HOUR, pollMs: HOUR }, logger);
    try {
      await s.tick();
      expect(l.state.signed).toHaveLength(0);
      expect(s.gap()).toEqual({ events: 0, seconds: 0 });

      l.state.head = 3;
      l.advance(2_000);
      await s.tick();
      expect(l.state.signed.map((c) => c.treeSize)).toEqual([3]);
      expect(s.gap()).toEqual({ events: 0, seconds: 0 });
      expect(lines.some((x) => x.msg === 'checkpoint signed')).toBe(true);

      // 50 events, 5 minutes: neither rule is due; the gap shows both.
      l.state.head = 53;
      l.advance(5 * 60_000);
      await s.tick();
      expect(l.state.signed).toHaveLength(1);
      expect(s.gap()).toEqual({ events: 50, seconds: 300 });
      l.advance(1_000);
      expect(s.gap().seconds).toBe(301);

      // 10 minutes since the last checkpoint: due by age.
      l.advance(5 * 60_000);
      await s.tick();
      expect(l.state.signed.map((c) => c.treeSize)).toEqual([3, 53]);

      // 100 events at once: due by count, however young the last one.
      l.state.head = 153;
      l.advance(1_000);
      await s.tick();
      expect(l.state.signed.map((c) => c.treeSize)).toEqual([3, 53, 153]);

      // Old but nothing new: no signature.
      l.advance(5 * HOUR);
      await s.tick();
      expect(l.state.signed).toHaveLength(3);
      expect(s.gap()).toEqual({ events: 0, seconds: 0 });
    } finally {
      await s.stop();
    }
  });

  it('a rule set to 0 is off; a failed signature is logged and the next look tries again', async () => {
    const l = fakeLedger();
    const { logger, lines } = captureLogger();
    const s = startCheckpointSchedule(l.service, { everyMs: 0, everyEvents: 10, clock: l.clock, firstAfterMs: HOUR, pollMs: HOUR }, logger);
    try {
      l.state.head = 1;
      l.state.failNext = true;
      await s.tick();
      expect(l.state.signed).toHaveLength(0);
      expect(lines.some((x) => x.msg === 'checkpoint failed')).toBe(true);
      await s.tick();
      expect(l.state.signed).toHaveLength(1);
      l.state.head = 10;
      l.advance(100 * HOUR);
      await s.tick();
      expect(l.state.signed).toHaveLength(1);
      expect(s.gap()).toEqual({ events: 9, seconds: 360_000 });
      l.state.head = 11;
      await s.tick();
      expect(l.state.signed.map((c) => c.treeSize)).toEqual([1, 11]);
    } finally {
      await s.stop();
    }
  });

  it('runs on its own timer: the first look shortly after start', async () => {
    const l = fakeLedger();
    l.state.head = 5;
    const { logger } = captureLogger();
    const s = startCheckpointSchedule(l.service, { everyMs: HOUR, everyEvents: 0, firstAfterMs: 20, pollMs: HOUR }, logger);
    try {
      await expect.poll(() => l.state.signed.length, { timeout: 10_000 }).toBe(1);
    } finally {
      await s.stop();
    }
  });
});

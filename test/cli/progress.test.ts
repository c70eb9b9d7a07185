import { describe, expect, it } from 'vitest';
import { duration, progressLine, progressReporter, PROGRESS_INTERVAL_MS } from '../../src/cli/progress.js';
import { join } from 'node:path';
import { openTestStore, tempDbPath, tempDir } from '../evidence/helpers.js';
import { cli, cliProcess, fakeTty } from './helpers.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('progress line', () => {
  it('done/total with percent, rate and ETA from the average rate', () => {
    // 500 of 2,000 in 2 s: 250/s, 1,500 left: 6 s
    expect(progressLine('events', 500, 2_000, 2_000)).toBe('events 500/2,000 (25%)  250/s  ETA 6s');
    expect(progressLine('events', 1_200_000, 5_000_000, 60_000)).toBe('events 1,200,000/5,000,000 (24%)  20,000/s  ETA 3m10s');
    // unknown total: count and rate only
    expect(progressLine('calls', 300, undefined, 3_000)).toBe('calls 300  100/s');
    // nothing yet: no rate, no ETA
    expect(progressLine('events', 0, 10, 0)).toBe('events 0/10 (0%)');
    expect(progressLine('events', 10, 10, 4_000, true)).toBe('events 10/10 (100%)  3/s  in 4s');
  });

  it('durations read as a person would say them', () => {
    expect(duration(0.4)).toBe('0s');
    expect(duration(59)).toBe('59s');
    expect(duration(61)).toBe('1m01s');
    expect(duration(3 * 3600 + 7 * 60 + 30)).toBe('3h07m');
    expect(duration(-5)).toBe('0s');
  });
});

describe('progress reporter', () => {
  it('redraws one line in place on a terminal, at most every interval, and ends it with the total', () => {
    const c = clock();
    const tty = fakeTty(true);
    const p = progressReporter({ env: {}, now: c.now, progressStream: tty }, { label: 'events', total: 1_000 });
    expect(p.enabled).toBe(true);
    p.update(0); // the first update is drawn at once: something is going on
    c.advance(PROGRESS_INTERVAL_MS - 1);
    p.update(10); // too soon
    c.advance(1);
    p.update(100); // 100 in 0.25 s
    c.advance(PROGRESS_INTERVAL_MS - 1);
    p.update(150); // within the interval: not drawn
    c.advance(1);
    p.update(200); // 200 in 0.5 s
    expect(tty.text()).toBe('\revents 0/1,000 (0%)\revents 100/1,000 (10%)  400/s  ETA 2s\revents 200/1,000 (20%)  400/s  ETA 2s');
    c.advance(1_500);
    p.update(1_000);
    p.finish();
    p.finish(); // once only
    p.update(5); // after the end: nothing
    expect(tty.text().split('\r').at(-1)).toMatch(/^events 1,000\/1,000 \(100%\) {2}500\/s {2}in 2s *\n$/);
    expect(tty.text().match(/\n/g)).toHaveLength(1);
  });

  it('pads a shorter line over a longer one', () => {
    const c = clock();
    const tty = fakeTty(true);
    const p = progressReporter({ env: {}, now: c.now, progressStream: tty }, { label: 'x' });
    c.advance(1_000);
    p.update(123_456);
    c.advance(1_000_000);
    p.update(123_457);
    const [, first, second] = tty.text().split('\r');
    expect(second!.length).toBeGreaterThanOrEqual(first!.length);
  });

  it('is quiet when stderr is not a terminal, with --json, with CONSENTLINE_PROGRESS=0, and without a stream', () => {
    const cases = [
      { tty: fakeTty(false), env: {}, json: false },
      { tty: fakeTty(true), env: {}, json: true },
      { tty: fakeTty(true), env: { CONSENTLINE_PROGRESS: '0' }, json: false },
      { tty: fakeTty(false), env: { CONSENTLINE_PROGRESS: '1' }, json: true },
    ];
    for (const k of cases) {
      const c = clock();
      const p = progressReporter({ env: k.env, now: c.now, progressStream: k.tty }, { label: 'events', total: 10, json: k.json });
      c.advance(10_000);
      p.update(5);
      p.finish();
      expect(p.enabled).toBe(false);
      expect(k.tty.text()).toBe('');
    }
    const p = progressReporter({ env: { CONSENTLINE_PROGRESS: '1' }, now: () => 0 }, { label: 'events' });
    expect(p.enabled).toBe(false);
  });

  it('CONSENTLINE_PROGRESS=1 forces it on where stderr is not a terminal', () => {
    const c = clock();
    const tty = fakeTty(false);
    const p = progressReporter({ env: { CONSENTLINE_PROGRESS: '1' }, now: c.now, progressStream: tty }, { label: 'events', total: 4 });
    c.advance(1_000);
    p.update(2);
    p.finish();
    expect(tty.text()).toBe('\revents 2/4 (50%)  2/s  ETA 1s\revents 2/4 (50%)  2/s  in 1s \n');
  });

  it('end to end: ledger verify as a process, stderr piped, CONSENTLINE_PROGRESS=1: the line and its end on stderr, stdout clean', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    await Promise.all(Array.from({ length: 10_001 }, (_, i) => store.append({ callId: null, kind: 'access.logged', data: { i } })));
    await store.close();
    const forced = cliProcess(['ledger', 'verify', '--db', path], { CONSENTLINE_PROGRESS: '1' });
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/^ledger OK: 10001 events verified/);
    expect(forced.err).toMatch(/^\rverifying: events 10,000\/10,001 \(99%\) {2}[\d,]+\/s {2}ETA 0s/);
    expect(forced.err).toMatch(/\rverifying: events 10,001\/10,001 \(100%\) {2}[\d,]+\/s {2}in \d+s *\n$/);
    // Piped (not a terminal) and not forced: nothing.
    const piped = cliProcess(['ledger', 'verify', '--db', path], { CONSENTLINE_PROGRESS: '' });
    expect(piped.code).toBe(0);
    expect(piped.err).toBe('');
  }, 120_000);

  it('checkpoint create draws the verification before it signs', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    await Promise.all(Array.from({ length: 10_001 }, (_, i) => store.append({ callId: null, kind: 'access.logged', data: { i } })));
    await store.close();
    const tty = fakeTty();
    let t = 0;
    const r = await cli(['checkpoint', 'create', '--db', path, '--key', join(tempDir(), 'key.pem')], {}, () => (t += 1_000), tty);
    expect(r.code).toBe(0);
    expect(r.err).toContain('signed a checkpoint at tree size 10001');
    // Progress comes per page read (512 events on the main thread), then the total.
    const drawn = [...tty.text().matchAll(/\rverifying before signing: events ([\d,]+) {2}[\d,]+\/s/g)].map((m) => Number(m[1]!.replaceAll(',', '')));
    const pages = Array.from({ length: Math.floor(10_001 / 512) }, (_, i) => (i + 1) * 512);
    expect(drawn).toEqual([...pages, 10_001, 10_001]);
    expect(tty.text()).toMatch(/\rverifying before signing: events 10,001 {2}[\d,]+\/s {2}in \d+s *\n$/);
  }, 120_000);

  it('a run that never reported progress leaves nothing behind', () => {
    const tty = fakeTty(true);
    const p = progressReporter({ env: {}, now: () => 0, progressStream: tty }, { label: 'events', total: 4 });
    p.finish();
    expect(tty.text()).toBe('');
  });
});

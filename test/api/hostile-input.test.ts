import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from './evidence-helpers.js';
import { noiseWav, seedRecording } from './recording-helpers.js';

/** Values that have broken parsers before: huge, odd Unicode, SQL-ish, numeric edge cases. */
const NASTY = [
  '',
  ' ',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  '%00',
  '\u0000',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0647',
  '😀'.repeat(50),
  '../../etc/passwd',
  '2026-02-30T00:00:00Z',
  '2026-03-01T00:00:00+25:00',
  '+48600123456',
  'x'.repeat(70_000),
  Buffer.from('["2026-03-01T00:00:00.000Z","c-01\' --"]').toString('base64url'),
  Buffer.from('["2026-03-01T00:00:00.000Z","c-01"]').toString('base64url'),
  Buffer.from('{"a":1}').toString('base64url'),
];

const hostileString = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
);
const hostileValue = fc.oneof(hostileString, fc.array(hostileString, { maxLength: 3 }));
const hostileJson = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 120 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Percent-encodes the UTF-8 bytes (lone surrogates become U+FFFD, as a browser would send). */
const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

function query(fields: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) parts.push(`${enc(k)}=${enc(one)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

interface RouteShape {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `{x}` marks a path parameter to fill with hostile text. */
  readonly path: string;
  readonly fields: readonly string[];
}

const ROUTES: readonly RouteShape[] = [
  { method: 'GET', path: '/calls', fields: ['from', 'to', 'did', 'flow', 'outcome', 'marketing', 'recording', 'limit', 'cursor', 'reason'] },
  { method: 'POST', path: '/calls/search-by-caller', fields: ['callerNumber', 'from', 'to', 'did', 'limit', 'cursor', 'reason', 'outcome'] },
  { method: 'GET', path: '/calls/{x}/timeline', fields: ['reason'] },
  { method: 'GET', path: '/calls/{x}/receipt', fields: ['reason', 'format'] },
  { method: 'GET', path: '/calls/outcome-check', fields: ['from', 'graceSeconds', 'limit'] },
  { method: 'GET', path: '/calls/{x}/proof', fields: ['reason'] },
  { method: 'GET', path: '/ledger/verify', fields: ['fromSeq', 'toSeq'] },
  { method: 'GET', path: '/checkpoints/latest', fields: [] },
  { method: 'POST', path: '/checkpoints', fields: ['treeSize'] },
  { method: 'GET', path: '/checkpoints/public-key', fields: [] },
  { method: 'GET', path: '/checkpoints/consistency', fields: ['fromTreeSize', 'toTreeSize', 'from', 'to'] },
  { method: 'GET', path: '/proofs/events/{x}', fields: ['treeSize'] },
  { method: 'GET', path: '/stats', fields: ['from', 'to', 'flow'] },
  { method: 'GET', path: '/stats/overview', fields: ['from', 'to', 'flow', 'language'] },
  { method: 'POST', path: '/bundles', fields: ['callIds', 'reason'] },
  { method: 'GET', path: '/config', fields: [] },
  { method: 'GET', path: '/retention/policies', fields: [] },
  { method: 'POST', path: '/retention/sweeps', fields: ['dryRun'] },
  { method: 'POST', path: '/holds', fields: ['scope', 'callId', 'callerNumber', 'flowId', 'reason'] },
  { method: 'GET', path: '/holds', fields: ['active'] },
  { method: 'GET', path: '/holds/{x}', fields: [] },
  { method: 'POST', path: '/holds/{x}/release', fields: ['reason'] },
  { method: 'POST', path: '/subjects/erasure', fields: ['callerNumber', 'reason'] },
  { method: 'POST', path: '/subjects/access', fields: ['callerNumber', 'lang', 'format', 'reason'] },
  { method: 'GET', path: '/subjects/erasures', fields: ['limit'] },
  { method: 'GET', path: '/subjects/erasures/{x}', fields: [] },
  { method: 'GET', path: '/retention/sweeps', fields: ['limit'] },
  { method: 'GET', path: '/calls/{x}/recordings', fields: ['reason'] },
  { method: 'GET', path: '/recordings/{x}/audio', fields: ['reason'] },
  { method: 'POST', path: '/marketing-consents/lookup', fields: ['numbers', 'purpose'] },
  { method: 'POST', path: '/consents/withdrawals', fields: ['callerNumber', 'consent', 'channel', 'reference'] },
  { method: 'GET', path: '/checkpoints', fields: ['limit', 'before'] },
  { method: 'POST', path: '/calls/{x}/recording/pause', fields: ['reason'] },
  { method: 'POST', path: '/calls/{x}/recording/resume', fields: ['reason'] },
  { method: 'GET', path: '/assurance', fields: ['status', 'kind', 'limit'] },
  { method: 'POST', path: '/assurance/runs', fields: ['from', 'to'] },
  { method: 'POST', path: '/assurance/findings/{x}/acknowledge', fields: ['reason'] },
  { method: 'GET', path: '/agents', fields: [] },
  { method: 'GET', path: '/agents/{x}', fields: [] },
  { method: 'PUT', path: '/agents/{x}', fields: ['interfaces', 'language', 'notice'] },
  { method: 'DELETE', path: '/agents/{x}', fields: [] },
];

/** The path parameter each shape's `{x}` stands for. */
const PARAM: ReadonlyArray<[string, string]> = [
  ['/proofs/', ':seq'],
  ['/holds/', ':holdId'],
  ['/subjects/erasures/', ':requestId'],
  ['/recordings/', ':recordingId'],
  ['/assurance/findings/', ':findingId'],
  ['/agents/', ':agentId'],
];
const paramOf = (path: string) => PARAM.find(([prefix]) => path.startsWith(prefix))?.[1] ?? ':callId';

let t: EvidenceApp;
let auth: Record<string, string>;
let recordingId = '';
let recordingBytes = 0;

beforeAll(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
  await t.checkpoints.create();
  auth = bearer(await t.issue('admin'));
  const rec = await seedRecording(t, { wav: noiseWav(2_000) });
  recordingId = rec.row.id;
  recordingBytes = rec.wav.length;
});
afterAll(async () => t?.close());

describe('hostile input never produces a 5xx', () => {
  it('covers every registered route', () => {
    const shapes = new Set(ROUTES.map((r) => `${r.method} ${r.path.replace('{x}', paramOf(r.path))}`));
    expect([...shapes].sort()).toEqual(t.registered.map((r) => `${r.method} ${r.url}`).sort());
  });

  for (const route of ROUTES) {
    it(`${route.method} ${route.path}`, async () => {
      const known = route.fields.length ? fc.constantFrom(...route.fields) : fc.constant('x');
      const key = fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: hostileString });
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(key, hostileValue, { maxKeys: 5 }),
          fc.dictionary(key, hostileJson, { maxKeys: 5 }),
          hostileString,
          fc.boolean(),
          async (qs, body, segment, rawBody) => {
            const path = route.path.replace('{x}', enc(segment) || '%20');
            const opts: InjectOptions =
              route.method === 'GET' || route.method === 'DELETE'
                ? { method: route.method, url: path + query(qs as Record<string, string | string[]>), headers: auth }
                : rawBody
                  ? { method: route.method, url: path, headers: { ...auth, 'content-type': 'application/json' }, payload: `{"callIds": [${segment}` }
                  : { method: route.method, url: path, headers: auth, payload: body };
            const r = await t.app.inject(opts);
            expect(r.statusCode, `${opts.method} ${String(opts.url).slice(0, 200)} → ${r.body.slice(0, 300)}`).toBeLessThan(500);
            if (r.statusCode === 400) expect(r.json().error).toBe('bad_request');
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});

describe('hostile Range and If-Range headers on playback', () => {
  it('never a 5xx: 200, 206 with a Content-Range inside the recording, or 416', async () => {
    const bound = fc.oneof(fc.integer(), fc.nat({ max: recordingBytes + 10 }), fc.constant(recordingBytes), fc.constant(''));
    const rangeLike = fc.oneof(
      hostileString,
      fc
        .tuple(fc.constantFrom('bytes=', 'BYTES =', 'bytes=-', 'items=', ''), bound, fc.constantFrom('-', '', ',', '-,-'), fc.oneof(bound, hostileString))
        .map(([unit, a, sep, b]) => `${unit}${a}${sep}${b}`),
    );
    await fc.assert(
      fc.asyncProperty(rangeLike, fc.option(hostileString), async (range, ifRange) => {
        const headers: Record<string, string> = { ...auth, range: range.replace(/[\r\n\0]/g, ' ') };
        if (ifRange !== null) headers['if-range'] = ifRange.replace(/[^\x20-\x7e]/g, 'x');
        let r;
        try {
          r = await t.app.inject({ url: `/recordings/${recordingId}/audio?reason=fuzz`, headers });
        } catch {
          return; // light-my-request refused the header value itself
        }
        expect([200, 206, 416], `${JSON.stringify(range)} → ${r.statusCode} ${r.body.slice(0, 200)}`).toContain(r.statusCode);
        if (r.statusCode === 206) {
          const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(r.headers['content-range']));
          expect(m).not.toBeNull();
          const [start, end, size] = [Number(m![1]), Number(m![2]), Number(m![3])];
          expect(size).toBe(recordingBytes);
          expect(start).toBeLessThanOrEqual(end);
          expect(end).toBeLessThan(size);
          expect(r.rawPayload.length).toBe(end - start + 1);
        }
        if (r.statusCode === 200) expect(r.rawPayload.length).toBe(recordingBytes);
      }),
      { numRuns: 80 },
    );
  });
});

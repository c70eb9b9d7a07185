import type { MarketingAnswer } from '../../evidence/marketing-lookup.js';

/**
 * The 200 body of `POST /marketing-consents/lookup` as JSON without zod: a dialer asks about
 * thousands of numbers at a time, and zod's generic encode of each answer was about a tenth of the
 * request's CPU (issue 22, docs/benchmarks.md). The output is what the zod serializer gives for the
 * route's response schema: only the schema's fields, in its order, an absent optional field
 * left out; an answer that breaks the schema throws (a 500, as with zod), never goes out.
 * test/api/routes/marketing-json.test.ts holds the two side by side.
 */
export function marketingResultsJson(body: { readonly results: readonly MarketingAnswer[] }): string {
  const results = body?.results;
  if (!Array.isArray(results)) return fail('results', 'is not an array');
  const out = new Array<Answer>(results.length);
  for (let i = 0; i < results.length; i++) out[i] = checked(results[i] as MarketingAnswer, i);
  // One JSON.stringify over plain objects: V8's fast path, as zod's serializer ends too.
  return JSON.stringify({ results: out });
}

type Answer = { -readonly [K in keyof MarketingAnswer]: MarketingAnswer[K] };
const STATES = new Set(['given', 'withdrawn', 'none']);

/** A copy of the answer with only the schema's fields, in its order, each checked against it. */
function checked(a: MarketingAnswer, i: number): Answer {
  if (typeof a !== 'object' || a === null) fail(`results.${i}`, 'is not an object');
  if (typeof a.number !== 'string') fail(`results.${i}.number`, 'is not a string');
  if (a.e164 !== null && typeof a.e164 !== 'string') fail(`results.${i}.e164`, 'is not a string or null');
  if (!STATES.has(a.state)) fail(`results.${i}.state`, 'is not given, withdrawn or none');
  const o: Answer = { number: a.number, e164: a.e164, state: a.state };
  if (a.problem !== undefined) {
    if (a.problem !== 'not_a_phone_number') fail(`results.${i}.problem`, 'is not not_a_phone_number');
    o.problem = a.problem;
  }
  if (a.since !== undefined) o.since = text(a.since, i, 'since', false);
  if (a.controller !== undefined) o.controller = text(a.controller, i, 'controller', true);
  if (a.channels !== undefined) {
    o.channels = a.channels === null ? null : strings(a.channels, i);
  }
  if (a.textVersion !== undefined) o.textVersion = text(a.textVersion, i, 'textVersion', true);
  if (a.how !== undefined) o.how = text(a.how, i, 'how', false);
  if (a.evidence !== undefined) {
    const e = a.evidence;
    if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.seq)) fail(`results.${i}.evidence`, 'has no integer seq');
    if (e.callId !== null && typeof e.callId !== 'string') fail(`results.${i}.evidence.callId`, 'is not a string or null');
    o.evidence = { seq: e.seq, callId: e.callId };
  }
  return o;
}

function strings(v: unknown, i: number): string[] {
  if (!Array.isArray(v)) return fail(`results.${i}.channels`, 'is not a list or null');
  for (let j = 0; j < v.length; j++) if (typeof v[j] !== 'string') fail(`results.${i}.channels.${j}`, 'is not a string');
  return v as string[];
}

function text<N extends boolean>(v: unknown, i: number, field: string, nullable: N): N extends true ? string | null : string {
  if (typeof v === 'string' || (nullable && v === null)) return v as N extends true ? string | null : string;
  return fail(`results.${i}.${field}`, nullable ? 'is not a string or null' : 'is not a string');
}

function fail(at: string, problem: string): never {
  throw new Error(`marketing look-up response: ${at} ${problem}`);
}

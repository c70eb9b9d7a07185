// Generates N calls (~10 events each) straight into a SQLite file with real chain hashes, the
// calls table and the subjects, as bench:api measures them.
import { performance } from 'node:perf_hooks';
import { openSqlite } from '../src/db/sqlite.js';
import { canonicalBodyFromParts, canonicalJson, GENESIS_HASH, linkHash } from '../src/evidence/chain.js';
import { createSubject } from '../src/evidence/subject.js';
import type { EventKind } from '../src/evidence/types.js';

export const N = Number(process.env.CONSENTLINE_BENCH_CALLS ?? 1_000_000);
export const PEPPER = 'bench-pepper-0123456789abcdef0123456789abcdef';
export const DIDS = Array.from({ length: 20 }, (_, i) => `+4822${String(1000000 + i * 7919).slice(0, 7)}`);
const CALLERS = Math.max(1, Math.floor(N / 5));
const START = Date.parse('2025-01-01T00:00:00.000Z');
const SPAN = 365 * 86_400_000;
const AUDIO = 'c3'.repeat(32);
const ROWS_PER_TX = 10_000;
const INTERLEAVE = 16;

export const callId = (i: number) => `call-${i.toString(36).padStart(6, '0')}`;
export const callerOf = (i: number) => `+48${500000000 + ((i * 7919) % CALLERS)}`;
const didOf = (i: number) => DIDS[(i * 31) % DIDS.length]!;
export const startOf = (i: number) => START + Math.floor((i * SPAN) / N);
export const iso = (t: number) => new Date(t).toISOString();
type Ev = [kind: EventKind, data: string];

/** One call's events as [kind, JCS data]: keys already in JCS order, values plain ASCII. */
function callEvents(i: number, caller: string | null): { events: Ev[]; outcome: string; recording: string; marketing: string } {
  const t = startOf(i);
  const prompt = (id: string, step: string, playback: string, ms: number) =>
    `{"audioSha256":"${AUDIO}","endedAt":"${iso(t + ms + 900)}","lang":"pl","playback":"${playback}","playbackId":"${callId(i)}-${ms}","promptId":"${id}","startedAt":"${iso(t + ms)}","step":"${step}","version":"3"}`;
  const started: Ev = [
    'call.started',
    `{"caller":${caller ? `"${caller}"` : 'null'},"channelId":"ch-${i}","did":"${didOf(i)}","flowId":"${i % 4 === 0 ? 'sales' : 'main'}","instance":"cl-1","lang":"pl","legalBasis":"consent_by_conduct","server":"pbx-1"}`,
  ];
  const head: Ev[] = [started, ['prompt.played', prompt('lang-choice', 'language', 'completed', 100)], ['dtmf.received', '{"digit":"1"}']];
  const r = i % 20;
  if (r < 3) {
    return { events: [...head, ['prompt.played', prompt('notice', 'notice', 'hangup', 2000)], ['call.abandoned', '{"step":"notice"}']], outcome: 'abandoned', recording: 'no', marketing: 'none' };
  }
  if (r === 3) {
    return {
      events: [...head, ['prompt.played', prompt('notice', 'notice', 'completed', 2000)], ['call.failed', '{"reason":"ari_unreachable","recording":"no","route":"fallback","step":"menu"}'], ['call.ended', '{}']],
      outcome: 'failed',
      recording: 'no',
      marketing: 'none',
    };
  }
  const menu: Ev[] = [['prompt.played', prompt('notice', 'notice', 'completed', 2000)], ['prompt.played', prompt('menu', 'menu', 'completed', 12000)], ['dtmf.received', '{"digit":"2"}']];
  if (r < 6) {
    return {
      events: [...head, ...menu, ['clause.listened', '{"completed":true,"lang":"pl"}'], ['objection.made', '{"legalBasis":"consent_by_conduct"}'], ['call.continued', '{"lang":"pl","marketing":"none","outcome":"objected","recording":"no","route":"agents"}'], ['call.ended', '{}']],
      outcome: 'objected',
      recording: 'no',
      marketing: 'none',
    };
  }
  const m = r % 2 === 0 ? 'yes' : 'no';
  return {
    events: [
      ...head,
      ...menu,
      ['consent.recording', '{"decision":"granted","how":"conduct","legalBasis":"consent_by_conduct"}'],
      ['consent.marketing', `{"channels":["phone","sms"],"controller":"Example Controller Sp. z o.o.","decision":"${m}","digit":"${m === 'yes' ? 1 : 2}","lang":"pl"}`],
      ['call.continued', `{"lang":"pl","marketing":"${m}","outcome":"continued","recording":"yes","route":"agents"}`],
    ],
    outcome: 'continued',
    recording: 'yes',
    marketing: m,
  };
}

export function generate(path: string): { events: number; seconds: number } {
  const { db } = openSqlite({ path });
  // Generation only: the measured API reads a normal WAL file afterwards.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  const st = {
    event: db.prepare('INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    call: db.prepare(
      `INSERT INTO calls (call_id, started_at, flow_id, did, caller_lookup, caller_masked, language, legal_basis, outcome, recording, marketing, ended_at, server)
       VALUES (?, ?, ?, ?, ?, ?, 'pl', 'consent_by_conduct', ?, ?, ?, ?, 'pbx-1')`,
    ),
    subject: db.prepare('INSERT INTO subjects (commitment, lookup_key, masked, e164, salt, call_id) VALUES (?, ?, ?, ?, ?, ?)'),
  };
  let seq = 0;
  let prev = GENESIS_HASH;
  const t0 = performance.now();
  let lastReport = t0;
  let pending: Array<() => void> = [];
  const flush = db.transaction((work: Array<() => void>) => {
    for (const w of work) w();
  });
  for (let base = 0; base < N; base += INTERLEAVE) {
    const group = [];
    for (let i = base; i < Math.min(N, base + INTERLEAVE); i++) {
      const number = i % 50 === 49 ? null : callerOf(i);
      const subject = number ? createSubject(number, PEPPER) : null;
      const c = callEvents(i, subject?.commitment ?? null);
      if (i === 0) for (const [, data] of c.events) if (canonicalJson(JSON.parse(data)) !== data) throw new Error(`not JCS: ${data}`);
      const t = startOf(i);
      pending.push(() => {
        st.call.run(callId(i), iso(t), i % 4 === 0 ? 'sales' : 'main', didOf(i), subject?.lookupKey ?? null, subject?.masked ?? null, c.outcome, c.recording, c.marketing, iso(t + 60_000));
        if (subject) st.subject.run(subject.commitment, subject.lookupKey, subject.masked, subject.e164, subject.salt, callId(i));
      });
      group.push({ i, t, events: c.events });
    }
    // Calls of a group interleave in the ledger as concurrent calls do.
    const longest = Math.max(...group.map((g) => g.events.length));
    for (let j = 0; j < longest; j++) {
      for (const g of group) {
        const ev = g.events[j];
        if (!ev) continue;
        seq += 1;
        const s = seq;
        const at = iso(g.t + j * 1000);
        const id = callId(g.i);
        // JCS by hand (ASCII strings, integer seq): the generic encoder would triple generation time.
        const body = `{"at":"${at}","callId":"${id}","data":${ev[1]},"kind":"${ev[0]}","seq":${s}}`;
        if (s <= 200 && body !== canonicalBodyFromParts(s, id, at, ev[0], ev[1])) throw new Error(`not JCS: ${body}`);
        const hash = linkHash(prev, body);
        const p = prev;
        pending.push(() => st.event.run(s, id, at, ev[0], ev[1], p, hash));
        prev = hash;
      }
    }
    if (pending.length >= ROWS_PER_TX) {
      flush(pending);
      pending = [];
      const now = performance.now();
      if (now - lastReport > 5_000) {
        lastReport = now;
        const done = Math.min(N, base + INTERLEAVE);
        console.log(`  generated ${done}/${N} calls, ${seq} events (${Math.round(seq / ((now - t0) / 1000))} events/s)`);
      }
    }
  }
  flush(pending);
  db.close();
  return { events: seq, seconds: (performance.now() - t0) / 1000 };
}


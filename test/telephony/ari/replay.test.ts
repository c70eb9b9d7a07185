import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { fixtureDir } from './shared-docs.js';

type Entry =
  | { kind: 'rest'; request: string; status: number; contentType: string; body: unknown }
  | { kind: 'ari'; event: Record<string, unknown> }
  | { kind: 'ami-sent'; raw: string }
  | { kind: 'ami' | 'ami-banner' };

/** Key structure of a JSON value: objects by sorted keys, arrays by their first element. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  }
  return typeof v;
}

/** What must match exactly besides the shape: type and the states. */
function essentials(e: Record<string, unknown>): unknown {
  const sub = (k: string): unknown => (e[k] as { state?: unknown } | undefined)?.state;
  return { type: e.type, channel: sub('channel'), playback: sub('playback'), recording: sub('recording') };
}

const AUTH = { username: 'ari', password: 'secret' };

function send(port: number, line: string): Promise<{ status: number; contentType: string; body: unknown }> {
  const [method, target] = line.split(' ') as [string, string];
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path: target, auth: `${AUTH.username}:${AUTH.password}` },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const contentType = res.headers['content-type'] ?? '';
          const text = Buffer.concat(chunks).toString('utf8');
          const body = contentType.includes('json') && text ? (JSON.parse(text) as unknown) : text;
          resolve({ status: res.statusCode ?? 0, contentType, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function amiFields(raw: string): Record<string, string> {
  return Object.fromEntries(
    raw.split('\r\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

/** Link faults the transcripts' notes describe but do not record as requests. */
const LINK_HOOKS: Record<string, { dropBefore: string; reconnectAfter: string }> = {
  '04': { dropBefore: 'tx-4', reconnectAfter: 'tx-4' },
};

const FILES = ['01', '02', '03', '04', '06'];

describe('emulator replays the Asterisk 22 transcripts', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it.each(FILES)('transcript %s', async (prefix) => {
    const dir = fixtureDir('asterisk-transcripts');
    const file = readdirMatch(dir, prefix);
    const transcript = (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { transcript: Entry[] }).transcript;
    const expected = transcript.filter((e): e is Extract<Entry, { kind: 'ari' }> => e.kind === 'ari').map((e) => e.event);

    const emu = await AriEmulator.start({
      ...AUTH,
      app: 'transcript',
      knownSounds: ['hello-world', 'beep'],
      playbackMs: { 'hello-world': 120, beep: 40 },
      knownContexts: ['tx-inbound', 'tx-after', 'cl-caller'],
      recordingMsPerSecond: 30,
    });
    cleanups.push(() => emu.close());

    const received: Array<Record<string, unknown>> = [];
    let ws: WebSocket | null = null;
    const connect = async (): Promise<void> => {
      const sock = new WebSocket(`ws://127.0.0.1:${emu.port}/ari/events?app=transcript&api_key=${AUTH.username}:${AUTH.password}`);
      sock.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
      await new Promise((resolve, reject) => sock.once('open', resolve).once('error', reject));
      ws = sock;
    };
    cleanups.push(() => ws?.terminate());
    await connect();

    const idByName = new Map<string, string>();
    const hooks = LINK_HOOKS[prefix];
    let eventsSoFar = 0;
    for (const entry of transcript) {
      if (entry.kind === 'ari') {
        eventsSoFar += 1;
        continue;
      }
      // Let the events the transcript shows before this step arrive; a step's own events may be
      // listed before it (the recorder saw them first), so this is a bounded wait, not a must.
      await emu.waitFor(() => received.length >= eventsSoFar, { timeoutMs: 300 }).catch(() => undefined);
      if (entry.kind === 'rest') {
        const got = await send(emu.port, entry.request);
        expect(got.status, entry.request).toBe(entry.status);
        if (entry.contentType.includes('json')) {
          expect(got.contentType).toContain('application/json');
          expect(shape(got.body), entry.request).toEqual(shape(entry.body));
        } else if (entry.contentType) {
          expect(got.contentType).toBe(entry.contentType);
        }
        const body = entry.body as { id?: string; name?: string } | null;
        if (entry.request.startsWith('POST /ari/channels?') && body?.id && body.name) {
          idByName.set(body.name, body.id);
        }
      } else if (entry.kind === 'ami-sent') {
        const f = amiFields(entry.raw);
        if (hooks?.dropBefore === f.ActionID) {
          emu.dropWebSocket();
          await emu.waitFor(() => !emu.appConnected('transcript'));
        }
        const id = f.Channel ? idByName.get(f.Channel) : undefined;
        if (f.Action === 'PlayDTMF' && id) emu.dtmf(id, f.Digit ?? '1', Number(f.Duration ?? 100));
        if (f.Action === 'Hangup' && id) emu.hangup(id, 0);
        if (hooks?.reconnectAfter === f.ActionID) await connect();
      }
    }
    await emu.waitFor(() => received.length >= expected.length, { timeoutMs: 2000 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50)); // nothing more may come

    expect(received.map(essentials)).toEqual(expected.map(essentials));
    received.forEach((e, i) => expect(shape(e), `${i}: ${String(e.type)}`).toEqual(shape(expected[i])));
  });
});

function readdirMatch(dir: string, prefix: string): string {
  const f = readdirSync(dir).find((n) => n.startsWith(`${prefix}-`));
  if (!f) throw new Error(`no transcript ${prefix} in ${dir}`);
  return f;
}

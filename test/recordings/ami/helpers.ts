import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/shared/log.js';
import { encodePacket, headerOf, PacketReader, type AmiPacket, type AmiPair } from '../../emulators/ami/index.js';

/**
 * The transcripts recorded from a real Asterisk 22.10.1, kept in the repository (origin:
 * test/fixtures/README.md). The conformance tests read them at run time and fail when they are missing.
 */
export const TRANSCRIPTS_DIR =
  process.env.ASTERISK_TRANSCRIPTS_DIR ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/asterisk-transcripts');
export const haveTranscripts = existsSync(TRANSCRIPTS_DIR);

export type TranscriptEntry =
  | { kind: 'ami'; event: Record<string, string> }
  | { kind: 'ami-sent' | 'ami-banner'; raw: string }
  | { kind: 'rest' | 'ari' };

export function loadTranscript(prefix: string): TranscriptEntry[] {
  const file = path.join(TRANSCRIPTS_DIR, `${prefix}.json`);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { transcript: TranscriptEntry[] };
  return doc.transcript;
}

/** A transcript AMI message as ordered pairs, without the recorder's `ami` marker. */
export function transcriptPairs(event: Record<string, string>): AmiPair[] {
  return Object.entries(event)
    .filter(([k]) => k !== 'ami')
    .map(([k, v]) => [k, String(v)] as const);
}

/** A bare AMI client on a raw socket: sees exactly the bytes the emulator sends. */
export class RawAmiClient {
  readonly packets: AmiPacket[] = [];
  raw = '';
  closed = false;
  readonly #socket: net.Socket;
  readonly #reader = new PacketReader();
  #seq = 0;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.raw += chunk;
      this.packets.push(...this.#reader.push(chunk));
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawAmiClient> {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawAmiClient(socket);
    await until(() => client.raw.includes('\r\n'));
    return client;
  }

  sendRaw(text: string): void {
    this.#socket.write(text);
  }

  send(pairs: readonly AmiPair[]): string {
    const id = headerOf(pairs, 'ActionID') ?? `raw-${++this.#seq}`;
    const withId: AmiPair[] = headerOf(pairs, 'ActionID') ? [...pairs] : [pairs[0]!, ['ActionID', id], ...pairs.slice(1)];
    this.#socket.write(encodePacket(withId));
    return id;
  }

  response(actionId: string): AmiPacket | undefined {
    return this.packets.find((p) => headerOf(p, 'Response') !== undefined && headerOf(p, 'ActionID') === actionId);
  }

  async request(pairs: readonly AmiPair[]): Promise<AmiPacket> {
    const id = this.send(pairs);
    await until(() => this.response(id) !== undefined || this.closed);
    const r = this.response(id);
    if (!r) throw new Error(`no response to ${id}`);
    return r;
  }

  async login(username: string, secret: string): Promise<AmiPacket> {
    return this.request([
      ['Action', 'Login'],
      ['Username', username],
      ['Secret', secret],
    ]);
  }

  /** A Ping round trip: everything the emulator wrote before answering it has arrived. */
  async flush(): Promise<void> {
    await this.request([['Action', 'Ping']]);
  }

  events(): AmiPacket[] {
    return this.packets.filter((p) => headerOf(p, 'Event') !== undefined);
  }

  close(): void {
    this.#socket.destroy();
  }
}

export async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A pino logger whose JSON lines the test can read. */
export function logSink(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  let buffer = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buffer += chunk.toString();
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', name: 'test' }, stream);
  return {
    logger,
    text: () => buffer,
    lines: () =>
      buffer
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * The active include eventfilters of the shipped asterisk/manager.conf (advanced syntax: event name,
 * optionally one header compared exactly), as an emulator user's filter: an event passes when one matches.
 */
export function shippedManagerEventFilter(): (pairs: readonly AmiPair[]) => boolean {
  const conf = readFileSync(path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../asterisk/manager.conf'), 'utf8');
  const rules = [...conf.matchAll(/^eventfilter\(action\(include\),name\((\w+)\)(?:,header\((\w+)\),method\(exact\))?\) =[ \t]*(.*)$/gm)].map((m) => ({
    name: m[1]!,
    header: m[2],
    value: m[3]!.trim(),
  }));
  if (rules.length === 0) throw new Error('asterisk/manager.conf: no include eventfilter found');
  return (pairs) => {
    const get = (k: string) => pairs.find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1];
    return rules.some((r) => r.name === get('Event') && (r.header === undefined || get(r.header) === r.value));
  };
}

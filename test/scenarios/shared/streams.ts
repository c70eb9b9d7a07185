/**
 * What ConsentLine depends on in an ARI event stream, for comparing the emulator's stream of a
 * scenario with the one recorded from the real Asterisk (test/fixtures/asterisk-streams/).
 */
import { translateEvent, type RawAriEvent } from '../../../src/telephony/ari/events.js';

/** Every field of each event type that src/telephony/ari/{events,adapter}.ts reads. */
export const FIELDS_READ: Readonly<Record<string, readonly string[]>> = {
  StasisStart: [
    'application',
    'args',
    'args[]',
    'channel.id',
    'channel.name',
    'channel.state',
    'channel.language',
    'channel.caller.number',
    'channel.caller.name',
    'channel.dialplan.exten',
  ],
  StasisEnd: ['application', 'channel.id'],
  ChannelDtmfReceived: ['application', 'channel.id', 'digit', 'duration_ms'],
  ChannelHangupRequest: ['application', 'channel.id', 'cause'],
  PlaybackStarted: ['application', 'playback.id', 'playback.target_uri', 'timestamp'],
  PlaybackContinuing: ['application', 'playback.id', 'playback.target_uri', 'timestamp'],
  PlaybackFinished: ['application', 'playback.id', 'playback.target_uri', 'playback.state'],
};

/** Field path → the JSON types seen there (`args[]` for array items). */
export type Shape = Record<string, string[]>;

export interface RecordedStream {
  readonly scenario: string;
  readonly origin: string;
  /** Types of the events ConsentLine acts on, in arrival order, on the channel in the app. */
  readonly types: string[];
  /** Every event type's shape, all fields (only {@link FIELDS_READ} are compared). */
  readonly shapes: Record<string, Shape>;
  /** Values ConsentLine branches on: `playback.state` of each PlaybackFinished, in order. */
  readonly playbackStates: string[];
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function addShape(shape: Shape, value: unknown, path: string): void {
  if (path) {
    const seen = (shape[path] ??= []);
    if (!seen.includes(jsonType(value))) seen.push(jsonType(value));
    seen.sort();
  }
  if (Array.isArray(value)) for (const item of value) addShape(shape, item, `${path}[]`);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) addShape(shape, v, path ? `${path}.${k}` : k);
}

/** The events of `channelId` that ConsentLine acts on (those its translator does not drop). */
export function channelStream(events: readonly RawAriEvent[], channelId: string): RawAriEvent[] {
  return events.filter((e) => {
    const t = translateEvent(e);
    if (!t) return false;
    return (t.kind === 'start' ? t.channel.id : t.channelId) === channelId;
  });
}

export function recordStream(scenario: string, origin: string, events: readonly RawAriEvent[]): RecordedStream {
  const shapes: Record<string, Shape> = {};
  for (const e of events) addShape((shapes[String(e.type)] ??= {}), e, '');
  for (const s of Object.values(shapes)) {
    const sorted = Object.fromEntries(Object.entries(s).sort(([a], [b]) => a.localeCompare(b)));
    for (const k of Object.keys(s)) delete s[k];
    Object.assign(s, sorted);
  }
  return {
    scenario,
    origin,
    types: events.map((e) => String(e.type)),
    shapes,
    playbackStates: events.filter((e) => e.type === 'PlaybackFinished').map((e) => String((e.playback as { state?: unknown })?.state)),
  };
}

/** The differences ConsentLine would notice between two recorded streams; empty when none. */
export function streamDifferences(expected: RecordedStream, actual: RecordedStream): string[] {
  const out: string[] = [];
  if (expected.types.join(' ') !== actual.types.join(' ')) {
    out.push(`event types differ:\n  expected ${expected.types.join(' ')}\n  actual   ${actual.types.join(' ')}`);
  }
  if (expected.playbackStates.join(' ') !== actual.playbackStates.join(' ')) {
    out.push(`PlaybackFinished states differ: expected ${expected.playbackStates.join(' ')}, actual ${actual.playbackStates.join(' ')}`);
  }
  for (const [type, fields] of Object.entries(FIELDS_READ)) {
    const want = expected.shapes[type];
    const got = actual.shapes[type];
    if (!want || !got) continue;
    for (const f of fields) {
      const w = (want[f] ?? ['absent']).join('|');
      const g = (got[f] ?? ['absent']).join('|');
      if (w !== g) out.push(`${type}.${f}: expected ${w}, actual ${g}`);
    }
  }
  return out;
}

import type { ChannelEvent, ChannelInfo } from './port.js';

/** An ARI event as it arrives on the WebSocket (parsed JSON). */
export type RawAriEvent = Readonly<Record<string, unknown>> & { readonly type?: unknown };

export type TranslatedEvent =
  | { readonly kind: 'start'; readonly channel: ChannelInfo }
  | { readonly kind: 'channel'; readonly channelId: string; readonly event: ChannelEvent };

type Obj = Readonly<Record<string, unknown>>;

function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' ? (v as Obj) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Channel facts from an ARI Channel object. */
export function channelInfo(channel: unknown, args: unknown = []): ChannelInfo {
  const ch = obj(channel);
  const caller = obj(ch.caller);
  return {
    id: str(ch.id),
    name: str(ch.name),
    callerNumber: str(caller.number),
    callerName: str(caller.name),
    dialedExten: str(obj(ch.dialplan).exten),
    language: str(ch.language),
    args: Array.isArray(args) ? args.map(String) : [],
    state: str(ch.state),
  };
}

function playbackTarget(playback: Obj): string | null {
  const target = str(playback.target_uri);
  return target.startsWith('channel:') ? target.slice('channel:'.length) : null;
}

/** Maps the ARI events the call flow cares about; everything else gives null. */
export function translateEvent(raw: RawAriEvent): TranslatedEvent | null {
  switch (raw.type) {
    case 'StasisStart':
      return { kind: 'start', channel: channelInfo(raw.channel, raw.args) };
    case 'StasisEnd':
      return channelEvent(raw, { type: 'StasisEnd' });
    case 'ChannelDtmfReceived':
      return channelEvent(raw, {
        type: 'Dtmf',
        digit: str(raw.digit),
        durationMs: typeof raw.duration_ms === 'number' ? raw.duration_ms : 0,
      });
    case 'ChannelHangupRequest':
      return channelEvent(raw, { type: 'HangupRequest', cause: typeof raw.cause === 'number' ? raw.cause : 0 });
    case 'PlaybackStarted':
    case 'PlaybackContinuing':
    case 'PlaybackFinished': {
      const pb = obj(raw.playback);
      const channelId = playbackTarget(pb);
      if (!channelId) return null;
      const playbackId = str(pb.id);
      const event: ChannelEvent =
        raw.type === 'PlaybackFinished'
          ? { type: 'PlaybackFinished', playbackId, state: str(pb.state) }
          : { type: raw.type, playbackId, at: asteriskTime(raw.timestamp) };
      return { kind: 'channel', channelId, event };
    }
    default:
      return null;
  }
}

/** Asterisk's event time, `2026-12-07T14:50:00.123+0000`, in ms since the epoch; 0 when absent or unreadable. */
export function asteriskTime(v: unknown): number {
  if (typeof v !== 'string') return 0;
  const ms = Date.parse(v.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : 0;
}

function channelEvent(raw: RawAriEvent, event: ChannelEvent): TranslatedEvent | null {
  const id = str(obj(raw.channel).id);
  return id ? { kind: 'channel', channelId: id, event } : null;
}

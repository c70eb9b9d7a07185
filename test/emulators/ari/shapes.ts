/** Asterisk's JSON shapes for the objects the emulator sends. */

export interface CallerId {
  name: string;
  number: string;
}

export interface DialplanLocation {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

/** A channel's public snapshot, in Asterisk's key order. */
export interface ChannelJson {
  id: string;
  name: string;
  state: string;
  protocol_id: string;
  caller: CallerId;
  connected: CallerId;
  accountcode: string;
  dialplan: DialplanLocation;
  creationtime: string;
  language: string;
}

export type PlaybackState = 'queued' | 'playing' | 'continuing' | 'done' | 'failed';

export interface PlaybackJson {
  id: string;
  media_uri: string;
  next_media_uri?: string;
  target_uri: string;
  language: string;
  state: PlaybackState;
}

export interface LiveRecordingJson {
  name: string;
  format: string;
  state: 'queued' | 'recording' | 'done' | 'failed';
  target_uri: string;
  duration?: number;
}

/** Asterisk's timestamp format: `2026-11-28T09:45:10.151+0000`. */
export function asteriskTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Epoch milliseconds with sub-millisecond resolution, for benchmark timestamps. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Parses `"Name" <number>` / `Name <number>` / `number`. */
export function parseCallerId(text: string): CallerId {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(text);
  if (m) return { name: m[1] ?? '', number: m[2] ?? '' };
  return { name: '', number: text.trim() };
}

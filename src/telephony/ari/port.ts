/**
 * The narrow surface of ARI the call flow needs. Nothing outside src/telephony/ari
 * sees ARI's wire types: the adapter translates them into these.
 */

/** The caller-side facts a call starts with, taken from the StasisStart channel. */
export interface ChannelInfo {
  readonly id: string;
  readonly name: string;
  readonly callerNumber: string;
  readonly callerName: string;
  /** The dialled number (DID): the channel's dialplan extension when it entered Stasis. */
  readonly dialedExten: string;
  readonly language: string;
  readonly args: readonly string[];
  /** Channel state when it entered Stasis: `Ring` (not answered yet), `Up` (answered), … */
  readonly state: string;
}

/** Events for one channel, already filtered to that channel by the adapter. */
export type ChannelEvent =
  | {
      readonly type: 'PlaybackStarted';
      readonly playbackId: string;
      /** Asterisk's clock (the event's `timestamp`, ms since the epoch); 0 when absent. */
      readonly at: number;
    }
  | {
      /**
       * One media of a list ended and the next is to start. Asterisk sends it whether the media
       * played or failed (a missing sound): only the time since its PlaybackStarted tells.
       */
      readonly type: 'PlaybackContinuing';
      readonly playbackId: string;
      readonly at: number;
    }
  | {
      readonly type: 'PlaybackFinished';
      readonly playbackId: string;
      /** Asterisk's playback state at the end: `done`, `failed` (missing sound, hang-up) or `cancelled`. */
      readonly state: string;
    }
  | { readonly type: 'Dtmf'; readonly digit: string; readonly durationMs: number }
  | { readonly type: 'HangupRequest'; readonly cause: number }
  | { readonly type: 'StasisEnd' };

/** Commands on one channel in the application. Every call may reject with an {@link AriRequestError}. */
export interface ChannelOps {
  answer(channelId: string): Promise<void>;
  /**
   * Starts a playback with a client-chosen id; resolves once Asterisk accepted it (201). Several
   * media (comma-separated) play back to back as one playback: PlaybackStarted for each,
   * PlaybackContinuing between them, one PlaybackFinished; stopping it stops the rest.
   */
  play(channelId: string, playbackId: string, media: string, lang: string): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  setVariable(channelId: string, name: string, value: string): Promise<void>;
  /**
   * Sets several variables, in the order given, in as few requests as the values allow (one when
   * they are plain tokens: Asterisk's ARRAY() function writes them all; else one per variable).
   */
  setVariables(channelId: string, vars: ReadonlyArray<readonly [name: string, value: string]>): Promise<void>;
  continueInDialplan(
    channelId: string,
    target: { context: string; extension: string; priority: number },
  ): Promise<void>;
  hangup(channelId: string): Promise<void>;
}

/** Application-level events: a channel entering the app, link state. */
export interface AriAppEvents {
  onStasisStart(channel: ChannelInfo): void;
  onChannelEvent(channelId: string, event: ChannelEvent): void;
  /** The events WebSocket is (re)connected. After a reconnect the app must reconcile. */
  onConnected(reconnect: boolean): void;
  onDisconnected(reason: string): void;
}

export interface AriPort extends ChannelOps {
  /** Connects, registers the Stasis app and keeps reconnecting with backoff until closed. */
  start(events: AriAppEvents): Promise<void>;
  /** Channel ids the application holds right now (GET /applications/{app}). */
  listAppChannels(): Promise<string[]>;
  /** Live channel facts (GET /channels/{id}); null when the channel is gone (404). */
  getChannel(channelId: string): Promise<ChannelInfo | null>;
  readonly connected: boolean;
  close(): Promise<void>;
}

/** A refused or failed ARI request. `status` is the HTTP status, or 0 for a transport fault/timeout. */
export class AriRequestError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    message: string,
  ) {
    super(`${operation}: ${status ? `HTTP ${status} ` : ''}${message}`);
    this.name = 'AriRequestError';
  }
  /** 404: the channel (or playback) is gone, which for a call means the caller hung up. */
  get gone(): boolean {
    return this.status === 404;
  }
}

import type { Clock } from '../shared/clock.js';
import { AriRequestError, type ChannelOps } from './ari/port.js';
import type { ChannelEventQueue } from './channel-events.js';
import type { PlaybackEvidence, Prompter, PromptLookup, PromptOptions, PromptResult } from './prompter.js';

export interface ChannelPrompterDeps {
  readonly channelId: string;
  /** Prefix of client-chosen playback ids; must be unique per call. */
  readonly playbackPrefix: string;
  readonly ops: ChannelOps;
  readonly events: ChannelEventQueue;
  readonly prompts: PromptLookup;
  readonly clock: Clock;
  /** A prompt playing longer than this is a fault. */
  readonly promptLimitMs: number;
}

/** Plays prompts on one channel through ARI and reads its events from the channel's queue. */
export class ChannelPrompter implements Prompter {
  readonly #d: ChannelPrompterDeps;
  #count = 0;

  constructor(deps: ChannelPrompterDeps) {
    this.#d = deps;
  }

  async play(promptId: string, lang: string, opts: PromptOptions): Promise<PromptResult> {
    const { ops, events, clock, channelId } = this.#d;
    const audio = this.#d.prompts.get(promptId, lang);
    const playbackId = `${this.#d.playbackPrefix}-${++this.#count}`;
    const startedAt = new Date(clock.now()).toISOString();
    const ignoredDigits: string[] = [];
    const result = (status: PromptResult['status'], playback: PlaybackEvidence['playback'], digit?: string): PromptResult => ({
      status,
      ...(digit === undefined ? {} : { digit }),
      ignoredDigits,
      evidence: {
        promptId,
        lang,
        version: audio.version,
        audioSha256: audio.audioSha256,
        playbackId,
        startedAt,
        endedAt: new Date(clock.now()).toISOString(),
        playback,
      },
    });

    if (events.hungUp) return result('hangup', 'hangup');
    try {
      await ops.play(channelId, playbackId, audio.media, lang);
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) return result('hangup', 'hangup');
      throw err;
    }

    const deadline = clock.now() + this.#d.promptLimitMs;
    for (;;) {
      const event = await events.next(Math.max(0, deadline - clock.now()));
      if (event === null) {
        await this.#stop(playbackId);
        return result('failed', 'failed');
      }
      switch (event.type) {
        case 'HangupRequest':
        case 'StasisEnd':
          return result('hangup', 'hangup');
        case 'LinkLost':
          return result('link_lost', 'link_lost');
        case 'Dtmf':
          if (!opts.interruptible) {
            ignoredDigits.push(event.digit);
            continue;
          }
          await this.#stop(playbackId);
          return result('digit', 'interrupted', event.digit);
        case 'PlaybackFinished':
          if (event.playbackId !== playbackId) continue;
          if (event.state === 'done') return this.#waitForDigit(opts.waitDigitMs, result);
          // A hang-up also ends a playback as `failed`; its HangupRequest came first.
          return events.hungUp ? result('hangup', 'hangup') : result('failed', 'failed');
        case 'PlaybackStarted':
          continue;
      }
    }
  }

  async #waitForDigit(
    waitMs: number,
    result: (status: PromptResult['status'], playback: PlaybackEvidence['playback'], digit?: string) => PromptResult,
  ): Promise<PromptResult> {
    if (waitMs <= 0) return result('finished', 'completed');
    const { events, clock } = this.#d;
    const deadline = clock.now() + waitMs;
    for (;;) {
      const event = await events.next(Math.max(0, deadline - clock.now()));
      if (event === null) return result('timeout', 'completed');
      if (event.type === 'Dtmf') return result('digit', 'completed', event.digit);
      if (event.type === 'HangupRequest' || event.type === 'StasisEnd') return result('hangup', 'completed');
      if (event.type === 'LinkLost') return result('link_lost', 'completed');
    }
  }

  /**
   * Stops the latest prompt if it still plays: Asterisk runs variable and continue requests
   * only once the playing prompt ends, so a call ending early (fault, shutdown) stops it first.
   */
  async stopCurrent(): Promise<void> {
    if (this.#count > 0) await this.#stop(`${this.#d.playbackPrefix}-${this.#count}`);
  }

  /** Best effort: a playback that already ended or a channel that is gone is fine. */
  async #stop(playbackId: string): Promise<void> {
    try {
      await this.#d.ops.stopPlayback(playbackId);
    } catch (err) {
      if (!(err instanceof AriRequestError && err.status === 404)) throw err;
    }
  }
}

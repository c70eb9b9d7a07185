import type { Clock } from '../shared/clock.js';
import { AriRequestError, type ChannelOps } from './ari/port.js';
import type { ChannelEventQueue } from './channel-events.js';
import type { PlaybackEvidence, Prompter, PromptAudio, PromptItem, PromptLookup, PromptOptions, PromptResult } from './prompter.js';

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

/**
 * A prompt inside a list counts as played when Asterisk's clock shows at least half its length, or
 * {@link PLAYED_CAP_MS} for longer ones, between its PlaybackStarted and PlaybackContinuing.
 * Asterisk moves on to the next media with that same event when one fails (a missing sound), a
 * few ms after it started; a prompt that played takes its length.
 */
const PLAYED_SHARE = 0.5;
const PLAYED_CAP_MS = 100;

type Status = PromptResult['status'];
type Ended = PlaybackEvidence['playback'];

/** Plays prompts on one channel through ARI and reads its events from the channel's queue. */
export class ChannelPrompter implements Prompter {
  readonly #d: ChannelPrompterDeps;
  #count = 0;

  constructor(deps: ChannelPrompterDeps) {
    this.#d = deps;
  }

  async play(promptId: string, lang: string, opts: PromptOptions): Promise<PromptResult> {
    return (await this.playList([{ promptId, opts }], lang))[0]!;
  }

  async playList(items: readonly PromptItem[], lang: string, onNext?: (index: number) => void): Promise<PromptResult[]> {
    if (items.length === 0) return [];
    if (items.slice(0, -1).some((i) => i.opts.waitDigitMs > 0)) throw new Error('only the last prompt of a list may wait for a key');
    const { ops, events, clock, channelId } = this.#d;
    const audios = items.map((i) => this.#d.prompts.get(i.promptId, lang));
    const playbackId = `${this.#d.playbackPrefix}-${++this.#count}`;
    const results: PromptResult[] = [];
    // The prompt playing (or next to play): PlaybackContinuing moves it on.
    let cursor = 0;
    let startedAt = clock.now();
    let startedOnAsterisk = 0;
    let ignoredDigits: string[] = [];
    const result = (status: Status, playback: Ended, digit?: string): PromptResult => ({
      status,
      ...(digit === undefined ? {} : { digit }),
      ignoredDigits,
      evidence: evidenceOf(items[cursor]!.promptId, lang, audios[cursor]!, playbackId, startedAt, clock.now(), playback, items.length > 1 ? cursor : undefined),
    });
    const end = (status: Status, playback: Ended, digit?: string): PromptResult[] => [...results, result(status, playback, digit)];

    if (events.hungUp) return end('hangup', 'hangup');
    try {
      await ops.play(channelId, playbackId, audios.map((a) => a.media).join(','), lang);
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) return end('hangup', 'hangup');
      throw err;
    }

    let deadline = clock.now() + this.#d.promptLimitMs;
    for (;;) {
      const event = await events.next(Math.max(0, deadline - clock.now()));
      if (event === null) {
        await this.#stop(playbackId);
        return end('failed', 'failed');
      }
      switch (event.type) {
        case 'HangupRequest':
        case 'StasisEnd':
          return end('hangup', 'hangup');
        case 'LinkLost':
          return end('link_lost', 'link_lost');
        case 'Dtmf':
          if (!items[cursor]!.opts.interruptible) {
            ignoredDigits.push(event.digit);
            continue;
          }
          await this.#stop(playbackId);
          return end('digit', 'interrupted', event.digit);
        case 'PlaybackStarted':
          if (event.playbackId === playbackId) startedOnAsterisk = event.at;
          continue;
        case 'PlaybackContinuing': {
          if (event.playbackId !== playbackId || cursor >= items.length - 1) continue;
          const playedMs = event.at && startedOnAsterisk ? event.at - startedOnAsterisk : clock.now() - startedAt;
          if (playedMs < Math.min(PLAYED_CAP_MS, audios[cursor]!.durationMs * PLAYED_SHARE)) {
            // Asterisk could not play it and went on to the next: not heard, the list ends here.
            await this.#stop(playbackId);
            return end('failed', 'failed');
          }
          results.push(result('finished', 'completed'));
          cursor += 1;
          startedAt = clock.now();
          startedOnAsterisk = 0;
          ignoredDigits = [];
          deadline = clock.now() + this.#d.promptLimitMs;
          onNext?.(cursor);
          continue;
        }
        case 'PlaybackFinished':
          if (event.playbackId !== playbackId) continue;
          if (event.state === 'done') return [...results, await this.#waitForDigit(items[cursor]!.opts.waitDigitMs, result)];
          // A hang-up also ends a playback as `failed`; its HangupRequest came first.
          return events.hungUp ? end('hangup', 'hangup') : end('failed', 'failed');
      }
    }
  }

  async #waitForDigit(waitMs: number, result: (status: Status, playback: Ended, digit?: string) => PromptResult): Promise<PromptResult> {
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

function evidenceOf(promptId: string, lang: string, audio: PromptAudio, playbackId: string, startedAt: number, endedAt: number, playback: Ended, mediaIndex: number | undefined): PlaybackEvidence {
  return {
    promptId,
    lang,
    version: audio.version,
    audioSha256: audio.audioSha256,
    playbackId,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    playback,
    ...(mediaIndex === undefined ? {} : { mediaIndex }),
  };
}

/**
 * Playing one prompt and, optionally, collecting one key: the only thing the call flow
 * asks of the telephony side. Outcomes are a closed set; exceptions mean broken
 * infrastructure (an ARI request that failed for another reason than a gone channel).
 */
export type PromptStatus =
  /** Played to the end; no key in the wait that followed (or no wait asked). */
  | 'finished'
  /** A key was pressed (during an interruptible prompt or in the wait after it). */
  | 'digit'
  /** Played to the end, then no key within the wait. */
  | 'timeout'
  /** The caller hung up. */
  | 'hangup'
  /** Asterisk could not play it (missing sound), or it ran past its time limit. */
  | 'failed'
  /** The ARI link dropped and came back: events may have been lost, so the step starts over. */
  | 'link_lost';

export interface PlaybackEvidence {
  readonly promptId: string;
  readonly lang: string;
  readonly version: string;
  readonly audioSha256: string;
  readonly playbackId: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** How the playback itself ended. */
  readonly playback: 'completed' | 'interrupted' | 'hangup' | 'failed' | 'link_lost';
  /** Its place in a list played as one playback (same `playbackId`); absent for a prompt alone. */
  readonly mediaIndex?: number;
}

export interface PromptResult {
  readonly status: PromptStatus;
  readonly digit?: string;
  readonly evidence: PlaybackEvidence;
  /** Keys pressed while the prompt could not be interrupted; kept for the evidence. */
  readonly ignoredDigits: readonly string[];
}

export interface PromptOptions {
  /** May a key cut the prompt short? */
  readonly interruptible: boolean;
  /** How long to wait for a key after the prompt ends; 0 = don't wait. */
  readonly waitDigitMs: number;
}

/** One prompt of a list played back to back (see {@link Prompter.playList}). */
export interface PromptItem {
  readonly promptId: string;
  readonly opts: PromptOptions;
}

export interface Prompter {
  play(promptId: string, lang: string, opts: PromptOptions): Promise<PromptResult>;
  /**
   * Plays prompts back to back as one playback (one ARI `play` with a list of media). Each keeps
   * its own options: a key during a prompt that may not be interrupted is ignored, a key during one
   * that may stops the rest. Only the last may wait for a key. Returns a result for each prompt
   * reached, in order; every one but the last `finished`. `onNext` hears each prompt after the
   * first as it starts.
   */
  playList(items: readonly PromptItem[], lang: string, onNext?: (index: number) => void): Promise<PromptResult[]>;
}

/** What the service knows about one prompt's audio (from audio-prompts/manifest.json). */
export interface PromptAudio {
  readonly media: string;
  readonly version: string;
  readonly audioSha256: string;
  /** Its length; a prompt inside a list counts as played only if it took a good part of that. */
  readonly durationMs: number;
}

export interface PromptLookup {
  /** Throws when the prompt does not exist for that language (a config error caught at start-up). */
  get(promptId: string, lang: string): PromptAudio;
}

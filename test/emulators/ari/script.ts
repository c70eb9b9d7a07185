/**
 * Scripted callers: "when playback of media X starts (or N ms into it), do Y".
 * A script is plain data, so the standalone emulator can take it over its control port.
 */

export type CallerTrigger =
  | { readonly on: 'StasisStart' }
  | {
      readonly on: 'PlaybackStarted' | 'PlaybackFinished';
      /** `sound:notice` or just `notice`; any playback when omitted. */
      readonly media?: string;
    };

export type CallerAction =
  | { readonly dtmf: string; readonly durationMs?: number; readonly gapMs?: number }
  | { readonly hangup: true; readonly cause?: number };

export interface CallerStep {
  readonly when: CallerTrigger;
  /** Delay after the trigger; the action still happens if the playback ended meanwhile. */
  readonly afterMs?: number;
  readonly do: CallerAction;
}

/** Steps fire at most once each, in whatever order their triggers arrive. */
export type CallerScript = readonly CallerStep[];

/** Caller hangs up `ms` into the playback of `media`. */
export function hangUpDuring(media: string, ms: number): CallerStep {
  return { when: { on: 'PlaybackStarted', media }, afterMs: ms, do: { hangup: true } };
}

/** Caller presses `digits` `ms` after the playback of `media` starts. */
export function pressDuring(media: string, digits: string, ms = 0): CallerStep {
  return { when: { on: 'PlaybackStarted', media }, afterMs: ms, do: { dtmf: digits } };
}

/** Caller presses `digits` `ms` after the playback of `media` finished (or, in a list, moved on). */
export function pressAfter(media: string, digits: string, ms = 0): CallerStep {
  return { when: { on: 'PlaybackFinished', media }, afterMs: ms, do: { dtmf: digits } };
}

/** Caller hangs up `ms` after entering the application. */
export function hangUpAfterStart(ms: number): CallerStep {
  return { when: { on: 'StasisStart' }, afterMs: ms, do: { hangup: true } };
}

export interface CallerHands {
  dtmf(digit: string, durationMs: number): void;
  hangup(cause: number): void;
  alive(): boolean;
  schedule(fn: () => void, ms: number): void;
}

function mediaMatches(wanted: string | undefined, mediaUri: string): boolean {
  if (wanted === undefined) return true;
  return wanted === mediaUri || `sound:${wanted}` === mediaUri;
}

/** Runs one caller's script against the events of its channel. */
export class ScriptRunner {
  readonly #pending: CallerStep[];

  constructor(
    script: CallerScript,
    private readonly hands: CallerHands,
  ) {
    this.#pending = [...script];
  }

  /** Called for every event the emulator raises on the channel, delivered to the app or not. */
  observe(type: string, mediaUri = ''): void {
    if (this.#pending.length === 0) return;
    // One media of a list ending (PlaybackContinuing) is, for the caller, that media finished.
    const on = type === 'PlaybackContinuing' ? 'PlaybackFinished' : type;
    for (const step of [...this.#pending]) {
      if (step.when.on !== on) continue;
      if (step.when.on !== 'StasisStart' && !mediaMatches(step.when.media, mediaUri)) continue;
      this.#pending.splice(this.#pending.indexOf(step), 1);
      this.#fire(step);
    }
  }

  #fire(step: CallerStep): void {
    const act = step.do;
    const run = (): void => {
      if (!this.hands.alive()) return;
      if ('hangup' in act) {
        this.hands.hangup(act.cause ?? 16);
        return;
      }
      const digits = [...act.dtmf];
      const gap = act.gapMs ?? 50;
      digits.forEach((d, i) => {
        const send = (): void => {
          if (this.hands.alive()) this.hands.dtmf(d, act.durationMs ?? 100);
        };
        if (i === 0) send();
        else this.hands.schedule(send, gap * i);
      });
    };
    if (step.afterMs) this.hands.schedule(run, step.afterMs);
    else run();
  }
}

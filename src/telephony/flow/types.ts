import type { FlowConfig } from '../../config/schema.js';
import type { JsonValue } from '../../evidence/types.js';
import type { EventKind } from '../../evidence/types.js';
import type { Prompter, PromptItem, PromptOptions, PromptResult } from '../prompter.js';

export type StepName = 'language' | 'notice' | 'menu' | 'clause' | 'objection' | 'recordingConsent' | 'marketing' | 'withdrawal';

export type Marketing = 'yes' | 'no' | 'none';

/** How the call leaves the IVR. Closed: every path of the flow ends in one of these. */
export type FlowEnd =
  | {
      readonly outcome: 'continued' | 'objected';
      readonly route: string;
      readonly recording: boolean;
      readonly marketing: Marketing;
    }
  | { readonly outcome: 'abandoned'; readonly step: StepName }
  | { readonly outcome: 'failed'; readonly step: StepName; readonly reason: string };

export type Transition = { readonly next: StepName } | { readonly end: FlowEnd };

/** What the flow has learnt so far; steps fill it in. */
export interface Decisions {
  route: string | null;
  noticeCompleted: boolean;
  recording: boolean | null;
  marketing: Marketing;
  /** Menu attempts left before the default route is taken. */
  menuAttemptsLeft: number;
  /** A menu key pressed during a prompt that returns to the menu; the menu takes it as its answer. */
  pendingMenuKey?: string | undefined;
  /** Consents the caller withdrew in this call: a withdrawn recording consent also keeps this call unrecorded. */
  withdrawn: { marketing: boolean; recording: boolean };
  /** The menu prompt, already played right behind the notice (one playback); the menu's first answer. */
  playedMenu?: PromptResult | undefined;
}

export type WithdrawableConsent = 'marketing' | 'recording';

/** What the caller's number has on file, as the withdrawal line tells it. */
export interface ConsentsOnFile {
  /** A marketing consent in force (a withdrawn or refused one is not offered again). */
  readonly marketing: { readonly since: string; readonly controller: string | null; readonly channels: readonly string[] } | null;
  /** Stored recordings of the caller's past calls: made on consent (erased on withdrawal), kept on legitimate interest (an Art. 21 objection). */
  readonly recordings: { readonly onConsent: number; readonly onInterest: number };
}

/** The withdrawal service as the call flow sees it: the caller is the one on this call. */
export interface WithdrawalDesk {
  /** The consents of the caller's number (by its look-up key); null when the number is withheld or not a phone number. */
  onFile(): Promise<ConsentsOnFile | null>;
  /** Records `consent.withdrawn` in this call and applies it (registry, erasure request); resolves once durable. */
  withdraw(consent: WithdrawableConsent, digit: string): Promise<void>;
}

/** Everything a step may touch. No ARI, no database: a prompter and a durable `record`. */
export interface FlowContext {
  readonly callId: string;
  readonly flow: FlowConfig;
  lang: string;
  readonly decisions: Decisions;
  /** The caller or the called number is on the do-not-record list: never recorded, whatever the answers. */
  readonly doNotRecord: boolean;
  /** Plays a prompt and appends its `prompt.played` evidence (durably) before returning. */
  prompt(promptId: string, opts: PromptOptions): Promise<PromptResult>;
  /**
   * Plays prompts back to back as one playback ({@link Prompter.playList}) and appends each
   * reached prompt's `prompt.played` (under its own step) before returning their results.
   */
  promptList(items: readonly (PromptItem & { readonly step: StepName })[]): Promise<PromptResult[]>;
  /** Appends one evidence event for this call; resolves once durable. */
  record(kind: EventKind, data: { [k: string]: JsonValue }): Promise<void>;
  /** Withdrawal by phone: the consents on file for the caller's number, and their withdrawal. */
  readonly withdrawals: WithdrawalDesk;
}

export type Step = (ctx: FlowContext) => Promise<Transition>;

export type { Prompter };

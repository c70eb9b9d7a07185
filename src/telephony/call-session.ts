import { randomUUID } from 'node:crypto';
import type { FlowConfig, Route } from '../config/schema.js';
import type { EvidenceWriter } from '../evidence/store.js';
import type { JsonValue, SubjectRecord } from '../evidence/types.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { AriRequestError, type ChannelInfo, type ChannelOps } from './ari/port.js';
import { ChannelEventQueue } from './channel-events.js';
import { ChannelPrompter } from './channel-prompter.js';
import { callStartedEvent } from './call-started.js';
import { answerIfAsked, faultReason, setConsentVars, type AnswerState } from './session-channel.js';
import type { FlowSelection } from './flow-select.js';
import { startingDecisions } from './flow/decisions.js';
import { runFlow } from './flow/machine.js';
import type { FlowContext, FlowEnd, StepName } from './flow/types.js';
import type { PromptLookup, PromptResult } from './prompter.js';
import { withdrawalDesk, type PhoneWithdrawals } from './withdrawal-desk.js';

export interface SessionDeps {
  readonly ops: ChannelOps;
  readonly evidence: EvidenceWriter;
  readonly prompts: PromptLookup;
  readonly clock: Clock;
  readonly log: Logger;
  readonly routes: Readonly<Record<string, Route>>;
  /** Minimises the caller number: look-up key, commitment, masked form. Null when there is none. */
  readonly subjectFor: (rawCallerNumber: string) => SubjectRecord | null;
  /** True when the caller (by look-up key) or the called number is on the do-not-record list. */
  readonly doNotRecord?: (callerLookupKey: string | null, did: string) => boolean;
  /** True when the running dialplan lacks this route (RouteMonitor): the call goes to the fallback instead. */
  readonly routeMissing?: (routeName: string) => boolean;
  /** Which Asterisk server the channel lives on, and which ConsentLine instance runs it. */
  readonly server: string;
  readonly instance: string;
  /** Hears how long each flow step took (seconds), for the step-duration histogram. */
  readonly onStepTimed?: (step: StepName, seconds: number) => void;
  /** Withdrawal by phone; without it a withdrawal option fails over like any other fault. */
  readonly withdrawals?: PhoneWithdrawals;
}

export interface SessionEnd {
  readonly callId: string;
  readonly end: FlowEnd;
}

/** One call: binds the flow to one channel, writes the evidence, enforces the absolute time limit,
 * and always lets the caller go on — to the chosen route, or on a fault to the fallback, unrecorded. */
export class CallSession {
  readonly events = new ChannelEventQueue();
  readonly callId: string;
  #step: StepName = 'language';
  #finished = false;
  #abort: ((end: FlowEnd) => void) | null = null;
  #abortReason: string | null = null;
  #prompter: ChannelPrompter | null = null;
  readonly #log: Logger;
  readonly flow: FlowConfig;

  constructor(
    readonly channel: ChannelInfo,
    readonly selection: FlowSelection,
    private readonly d: SessionDeps,
    /** Set when the ledger already holds this call open (a restart): the call keeps its id. */
    resumedCallId?: string,
  ) {
    this.flow = selection.flow;
    this.callId = resumedCallId ?? randomUUID();
    this.#log = d.log.child({ callId: this.callId, channel: channel.id, flow: this.flow.id });
  }

  get finished(): boolean {
    return this.#finished;
  }

  async run(): Promise<SessionEnd> {
    const lang = this.flow.languages.offered.includes(this.channel.language)
      ? this.channel.language
      : this.flow.languages.default;
    const subject = this.d.subjectFor(this.channel.callerNumber);
    const answered = await answerIfAsked(this.d.ops, this.channel, this.flow.answer, this.#step);
    // `call.started` is queued first, so it precedes every later event of the call in the
    // chain. The first prompt starts while it commits (keeping the fsync off the caller's
    // critical path); no step ends and no outcome is recorded before it is durable, and a
    // failed write sends the call to the fallback route at once.
    const opened = this.#open(lang, subject, answered.state);
    opened.catch((err: unknown) => {
      this.#log.error({ err }, 'evidence store refused call.started');
      this.abort('evidence_unavailable');
    });
    const ctx = this.#context(lang, this.d.doNotRecord?.(subject?.lookupKey ?? null, this.selection.did) ?? false, opened, subject);
    const limitMs = this.flow.timeouts.callSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timeLimit = new Promise<FlowEnd>((resolve) => {
      this.#abort = resolve;
      timer = setTimeout(() => resolve({ outcome: 'failed', step: this.#step, reason: 'call_time_limit' }), limitMs);
    });
    if (this.#abortReason) this.abort(this.#abortReason);
    let fault: unknown = answered.fault;
    let stepStartedAt = 0;
    const started = (s: StepName) => {
      this.#step = s;
      stepStartedAt = this.d.clock.now();
    };
    const done = (s: StepName) => this.d.onStepTimed?.(s, (this.d.clock.now() - stepStartedAt) / 1000);
    const flowRun = answered.end
      ? Promise.resolve(answered.end)
      : runFlow(ctx, started, done).catch((err: unknown): FlowEnd => {
          fault = err;
          return { outcome: 'failed', step: this.#step, reason: faultReason(err) };
        });
    const end = await Promise.race([flowRun, timeLimit]);
    clearTimeout(timer);
    // The last word in the ledger must follow call.started; if that never committed, the
    // fail-over below still tries to say so.
    await opened.catch(() => undefined);
    return this.#finish(end, ctx.lang, fault);
  }

  /** Ends the flow now and sends the caller on to the fallback route, unrecorded (e.g. shutdown). */
  abort(reason: string): void {
    this.#abortReason = reason;
    this.#abort?.({ outcome: 'failed', step: this.#step, reason });
  }

  /** For a channel found in the app after a reconnect or restart, with no flow state: fail safe. */
  async runOrphan(reason: string): Promise<SessionEnd> {
    const lang = this.flow.languages.default;
    try {
      await this.#open(lang, this.d.subjectFor(this.channel.callerNumber));
    } catch {
      // The fallback continue below matters more than the evidence of it.
    }
    return this.#finish({ outcome: 'failed', step: 'language', reason }, lang);
  }

  /**
   * A call the ledger holds open, still in Stasis after a restart: no flow state survived, so it
   * ends now under its id. Its prompt is stopped first (Asterisk sets variables only after it).
   */
  async runResumed(at: { readonly step: StepName; readonly playbackId: string }, lang: string): Promise<SessionEnd> {
    this.#step = at.step;
    try {
      await this.d.ops.stopPlayback(at.playbackId);
    } catch (err) {
      if (!(err instanceof AriRequestError && err.status === 404)) this.#log.warn({ err }, 'could not stop the playback of a resumed call');
    }
    return this.#finish({ outcome: 'failed', step: at.step, reason: 'resumed_after_restart' }, lang);
  }

  async #open(lang: string, subject: SubjectRecord | null, answer?: AnswerState): Promise<void> {
    const at = new Date(this.d.clock.now()).toISOString();
    const { flow, selection, callId } = this;
    await this.d.evidence.append(...callStartedEvent({ callId, at, flow, selection, answer, channelId: this.channel.id, server: this.d.server, instance: this.d.instance, lang, subject }));
  }

  #context(lang: string, doNotRecord: boolean, opened: Promise<void>, subject: SubjectRecord | null): FlowContext {
    const prompter = (this.#prompter = new ChannelPrompter({
      channelId: this.channel.id,
      playbackPrefix: this.callId,
      ops: this.d.ops,
      events: this.events,
      prompts: this.d.prompts,
      clock: this.d.clock,
      promptLimitMs: this.flow.timeouts.promptSeconds * 1000,
    }));
    const ctx: FlowContext = {
      callId: this.callId,
      flow: this.flow,
      lang,
      doNotRecord,
      decisions: startingDecisions(this.flow.retries.menu),
      withdrawals: withdrawalDesk(this.d.withdrawals, this.callId, subject, async () => {
        this.#assertLive();
        await opened;
      }),
      prompt: async (promptId, opts) => {
        this.#assertLive();
        const r = await prompter.play(promptId, ctx.lang, opts);
        // A fail-over stops the playing prompt; what follows its outcome is not evidence of the call.
        this.#assertLive();
        await opened;
        this.#assertLive();
        await this.#recordPlayed(r, this.#step);
        return r;
      },
      promptList: async (items) => {
        this.#assertLive();
        // A fault or the time limit while a later prompt plays names that prompt's step.
        const results = await prompter.playList(items, ctx.lang, (i) => (this.#step = items[i]!.step));
        this.#assertLive();
        await opened;
        this.#assertLive();
        // Handed over in one tick: they commit together, in order, and a fail-over cannot come between.
        await Promise.all(results.map((r, i) => this.#recordPlayed(r, items[i]!.step)));
        return results;
      },
      record: async (kind, data) => {
        this.#assertLive();
        await opened;
        return this.#record(kind, data);
      },
    };
    return ctx;
  }

  async #recordPlayed(r: PromptResult, step: StepName): Promise<void> {
    await this.#record('prompt.played', {
      ...r.evidence,
      step,
      ...(r.digit === undefined ? {} : { digit: r.digit }),
      ...(r.ignoredDigits.length ? { ignoredDigits: [...r.ignoredDigits] } : {}),
    });
  }

  /** After the time limit fired the flow may still be awaiting; it must not act any more. */
  #assertLive(): void {
    if (this.#finished) throw new Error('session already finished');
  }

  async #record(kind: Parameters<FlowContext['record']>[0], data: { [k: string]: JsonValue }, patch?: object): Promise<void> {
    await this.d.evidence.append({ callId: this.callId, kind, data }, patch ? { callPatch: patch } : undefined);
  }

  async #finish(end: FlowEnd, lang: string, fault?: unknown): Promise<SessionEnd> {
    this.#finished = true;
    const endedAt = new Date(this.d.clock.now()).toISOString();
    if (end.outcome === 'abandoned') {
      await this.#recordSafely('call.abandoned', { step: end.step }, { outcome: 'abandoned', recording: 'no', endedAt });
      this.#log.info({ outcome: 'abandoned', step: end.step }, 'caller hung up');
      return { callId: this.callId, end };
    }
    if (end.outcome === 'failed') {
      await this.#failOver(end, lang, endedAt, fault);
      return { callId: this.callId, end };
    }
    if (this.d.routeMissing?.(end.route)) {
      const failed: FlowEnd = { outcome: 'failed', step: this.#step, reason: 'route_not_in_dialplan' };
      await this.#failOver(failed, lang, endedAt, undefined, { missingRoute: end.route });
      return { callId: this.callId, end: failed };
    }
    try {
      const route = this.#route(end.route);
      await setConsentVars(this.d.ops, this.channel.id, { id: this.callId, recording: end.recording ? 'yes' : 'no', marketing: end.marketing, lang });
      await this.#record(
        'call.continued',
        { outcome: end.outcome, route: end.route, recording: end.recording ? 'yes' : 'no', marketing: end.marketing, lang },
        { outcome: end.outcome, recording: end.recording ? 'yes' : 'no', marketing: end.marketing, endedAt, language: lang },
      );
      await this.d.ops.continueInDialplan(this.channel.id, route);
      this.#log.info({ outcome: end.outcome, route: end.route, recording: end.recording }, 'call continued');
      return { callId: this.callId, end };
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) {
        const abandoned: FlowEnd = { outcome: 'abandoned', step: this.#step };
        await this.#recordSafely('call.abandoned', { step: this.#step, at: 'continue' }, { outcome: 'abandoned', recording: 'no', endedAt });
        return { callId: this.callId, end: abandoned };
      }
      const failed: FlowEnd = { outcome: 'failed', step: this.#step, reason: faultReason(err) };
      await this.#failOver(failed, lang, endedAt, err);
      return { callId: this.callId, end: failed };
    }
  }

  /** Fail open for the caller, fail closed for recording. */
  async #failOver(end: Extract<FlowEnd, { outcome: 'failed' }>, lang: string, endedAt: string, fault?: unknown, extra: { [k: string]: JsonValue } = {}): Promise<void> {
    this.#log.warn({ step: end.step, reason: end.reason, err: fault, ...extra }, 'call sent to fallback route, unrecorded');
    await this.#recordSafely(
      'call.failed',
      { step: end.step, reason: end.reason, route: this.flow.fallbackRoute, recording: 'no', ...extra },
      { outcome: 'failed', recording: 'no', marketing: 'none', endedAt },
    );
    try {
      await this.#prompter?.stopCurrent().catch(() => undefined);
      await setConsentVars(this.d.ops, this.channel.id, { id: this.callId, recording: 'no', marketing: 'none', lang });
    } catch (err) {
      this.#log.warn({ err }, 'could not set channel variables on fail-over; the fallback route never records');
    }
    try {
      await this.d.ops.continueInDialplan(this.channel.id, this.#route(this.flow.fallbackRoute));
    } catch (err) {
      if (!(err instanceof AriRequestError && err.gone)) this.#log.error({ err }, 'fallback continue failed');
    }
  }

  async #recordSafely(kind: 'call.abandoned' | 'call.failed', data: { [k: string]: JsonValue }, patch: object): Promise<void> {
    try {
      await this.#record(kind, data, patch);
    } catch (err) {
      this.#log.error({ err, kind }, 'evidence write failed');
    }
  }

  #route(name: string): Route {
    const route = this.d.routes[name];
    if (!route) throw new Error(`unknown route ${name}`);
    return route;
  }
}

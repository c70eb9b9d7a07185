import { WITHDRAWAL_PROMPTS as P } from '../../../config/defaults.js';
import { channelPieces, datePieces, recordingsCountPiece } from '../spoken.js';
import type { ConsentsOnFile, FlowContext, Transition, WithdrawableConsent } from '../types.js';
import { abandonedOrFailed } from './common.js';
import { waitMs } from './language.js';

/**
 * Withdrawal by phone (GDPR Art. 7(3)), from a menu key or as the whole flow of a dedicated
 * number. The caller is known only by their number's look-up key:
 *
 *   intro → number withheld or unknown → why, and the other ways to withdraw → leave
 *         → nothing on file            → say so, and the other ways             → leave
 *         → marketing consent in force → when, whose, which channels → key? → withdrawn | kept
 *         → recordings of past calls   → how many on consent / on legitimate interest (Art. 21)
 *                                        → key? → withdrawn (erasure request, objection) | kept
 *         → leave: a dedicated line says goodbye and goes on, unrecorded; a menu option returns to the menu
 */
export async function withdrawal(ctx: FlowContext): Promise<Transition> {
  const stop = await say(ctx, [P.intro]);
  if (stop) return stop;
  const file = await ctx.withdrawals.onFile();
  if (file === null) return (await say(ctx, [P.noNumber, P.otherWays])) ?? leave(ctx);
  if (!file.marketing && file.recordings.onConsent + file.recordings.onInterest === 0) {
    return (await say(ctx, [P.nothing, P.otherWays])) ?? leave(ctx);
  }
  if (file.marketing) {
    const m = file.marketing;
    const told = await say(ctx, [P.marketingGiven, ...datePieces(m.since, timeZone(ctx)), P.channels, ...channelPieces(m.channels)]);
    if (told) return told;
    const answered = await offer(ctx, 'marketing', P.marketingConfirm, [P.marketingDone]);
    if (answered) return answered;
  }
  if (file.recordings.onConsent + file.recordings.onInterest > 0) {
    const told = await say(ctx, recordingsOnFile(file.recordings));
    if (told) return told;
    const done = file.recordings.onInterest > 0 ? [P.recordingDone, P.objectionNoted] : [P.recordingDone];
    const answered = await offer(ctx, 'recording', P.recordingConfirm, done);
    if (answered) return answered;
  }
  return leave(ctx);
}

function recordingsOnFile(r: ConsentsOnFile['recordings']): string[] {
  return [
    ...(r.onConsent > 0 ? [P.recordingsOnConsent, recordingsCountPiece(r.onConsent)] : []),
    ...(r.onInterest > 0 ? [P.recordingsOnInterest, recordingsCountPiece(r.onInterest)] : []),
  ];
}

/**
 * Asks to withdraw one consent: the confirm key withdraws it (durably, before the caller hears
 * that it is done), the keep key or no answer after the retries changes nothing.
 */
async function offer(ctx: FlowContext, consent: WithdrawableConsent, question: string, done: readonly string[]): Promise<Transition | null> {
  const { confirmDigit, keepDigit } = settings(ctx);
  for (let attempt = 0; attempt <= ctx.flow.retries.question; attempt++) {
    const r = await ctx.prompt(question, { interruptible: true, waitDigitMs: waitMs(ctx) });
    const stop = abandonedOrFailed(r, 'withdrawal');
    if (stop) return stop;
    if (r.digit === confirmDigit) {
      await ctx.withdrawals.withdraw(consent, r.digit);
      ctx.decisions.withdrawn[consent] = true;
      return say(ctx, done);
    }
    if (r.digit === keepDigit) break;
  }
  return say(ctx, [P.kept]);
}

/** Plays prompts in a row, to the end (keys are kept in the evidence, not acted on). */
async function say(ctx: FlowContext, promptIds: readonly string[]): Promise<Transition | null> {
  for (const id of promptIds) {
    const r = await ctx.prompt(id, { interruptible: false, waitDigitMs: 0 });
    const stop = abandonedOrFailed(r, 'withdrawal');
    if (stop) return stop;
  }
  return null;
}

/** A dedicated line says goodbye and sends the call on, never recorded; a menu option returns to the menu. */
async function leave(ctx: FlowContext): Promise<Transition> {
  if (!settings(ctx).dedicated) {
    ctx.decisions.menuAttemptsLeft = ctx.flow.retries.menu;
    return { next: 'menu' };
  }
  const stop = await say(ctx, [ctx.flow.prompts.goodbye]);
  if (stop) return stop;
  return {
    end: { outcome: 'continued', route: ctx.flow.defaultRoute, recording: false, marketing: ctx.decisions.withdrawn.marketing ? 'no' : 'none' },
  };
}

const DEFAULTS = { dedicated: false, confirmDigit: '1', keepDigit: '2', timeZone: 'Europe/Warsaw' } as const;
const settings = (ctx: FlowContext) => ctx.flow.withdrawal ?? DEFAULTS;
const timeZone = (ctx: FlowContext) => settings(ctx).timeZone;

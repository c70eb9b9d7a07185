import type { FlowContext, Transition } from '../types.js';
import { abandonedOrFailed } from './common.js';
import { waitMs } from './language.js';

type Answer = { kind: 'yes' | 'no' | 'none'; digit: string | null } | Transition;

/** A yes/no question by key; silence or wrong keys after the retries count as no answer. */
async function ask(ctx: FlowContext, promptId: string, yes: string, no: string, step: 'recordingConsent' | 'marketing'): Promise<Answer> {
  for (let attempt = 0; attempt <= ctx.flow.retries.question; attempt++) {
    const r = await ctx.prompt(promptId, { interruptible: true, waitDigitMs: waitMs(ctx) });
    const stop = abandonedOrFailed(r, step);
    if (stop) return stop;
    if (r.digit === yes) return { kind: 'yes', digit: r.digit };
    if (r.digit === no) return { kind: 'no', digit: r.digit };
  }
  return { kind: 'none', digit: null };
}

/**
 * The recording decision, by the flow's legal basis. Consent by conduct and legitimate
 * interest rest on the notice heard in full; explicit consent asks and takes only a yes.
 */
export async function recordingConsent(ctx: FlowContext): Promise<Transition> {
  const { flow, decisions } = ctx;
  if (decisions.withdrawn.recording) {
    decisions.recording = false;
    await ctx.record('consent.recording', { decision: 'refused', legalBasis: flow.legalBasis, how: 'withdrawn_in_call' });
    return { next: 'marketing' };
  }
  if (ctx.doNotRecord) {
    decisions.recording = false;
    await ctx.record('consent.recording', { decision: 'refused', legalBasis: flow.legalBasis, how: 'do_not_record_list' });
    return { next: 'marketing' };
  }
  if (flow.legalBasis !== 'explicit_consent') {
    decisions.recording = decisions.noticeCompleted;
    await ctx.record('consent.recording', {
      decision: decisions.noticeCompleted ? 'granted' : 'refused',
      legalBasis: flow.legalBasis,
      how: decisions.noticeCompleted ? 'conduct' : 'notice_not_completed',
    });
    return { next: 'marketing' };
  }
  const { agreeDigit, refuseDigit } = flow.recordingConsent;
  const answer = await ask(ctx, flow.prompts.recordingConsent, agreeDigit, refuseDigit, 'recordingConsent');
  if ('next' in answer || 'end' in answer) return answer;
  decisions.recording = answer.kind === 'yes';
  await ctx.record('consent.recording', {
    decision: answer.kind === 'yes' ? 'granted' : answer.kind === 'no' ? 'refused' : 'no_answer',
    legalBasis: flow.legalBasis,
    how: 'dtmf',
    digit: answer.digit,
  });
  return { next: 'marketing' };
}

/** Optional explicit marketing consent that names the controller and the channels. */
export async function marketing(ctx: FlowContext): Promise<Transition> {
  const { flow, decisions } = ctx;
  const m = flow.marketing;
  // Withdrawn a moment ago in this call: not asked again.
  if (decisions.withdrawn.marketing) decisions.marketing = 'no';
  else if (m?.enabled) {
    const answer = await ask(ctx, flow.prompts.marketingConsent, m.yesDigit, m.noDigit, 'marketing');
    if ('next' in answer || 'end' in answer) return answer;
    decisions.marketing = answer.kind;
    await ctx.record('consent.marketing', {
      decision: answer.kind,
      controller: m.controller,
      channels: [...m.channels],
      digit: answer.digit,
      lang: ctx.lang,
    });
  }
  return {
    end: {
      outcome: 'continued',
      route: decisions.route ?? flow.defaultRoute,
      recording: decisions.recording === true,
      marketing: decisions.marketing,
    },
  };
}

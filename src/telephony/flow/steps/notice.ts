import type { FlowContext, Transition } from '../types.js';
import { abandonedOrFailed } from './common.js';

const MAX_REPLAYS_AFTER_LINK_LOSS = 2;

/**
 * The recording notice, in full (no barge-in unless the flow allows it). Consent by conduct
 * later rests on `noticeCompleted`: the notice played to its end with the caller on the line.
 */
export async function notice(ctx: FlowContext): Promise<Transition> {
  for (let replay = 0; replay <= MAX_REPLAYS_AFTER_LINK_LOSS; replay++) {
    const r = await ctx.prompt(ctx.flow.prompts.notice, { interruptible: ctx.flow.noticeBargeIn, waitDigitMs: 0 });
    const stop = abandonedOrFailed(r, 'notice');
    if (stop) return stop;
    // Events were lost while the link was down: we cannot prove the notice was heard, so play it again.
    if (r.status === 'link_lost') continue;
    ctx.decisions.noticeCompleted = r.status === 'finished';
    return { next: 'menu' };
  }
  return { end: { outcome: 'failed', step: 'notice', reason: 'link_lost' } };
}

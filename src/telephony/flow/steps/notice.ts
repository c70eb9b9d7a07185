import type { FlowContext, Transition } from '../types.js';
import { abandonedOrFailed } from './common.js';
import { waitMs } from './language.js';

const MAX_REPLAYS_AFTER_LINK_LOSS = 2;

/**
 * The recording notice, in full (no barge-in unless the flow allows it), with the menu right
 * behind it in the same playback. Consent by conduct later rests on `noticeCompleted`: the
 * notice played to its end with the caller on the line.
 */
export async function notice(ctx: FlowContext): Promise<Transition> {
  const { flow } = ctx;
  for (let replay = 0; replay <= MAX_REPLAYS_AFTER_LINK_LOSS; replay++) {
    // The menu always follows: one playback of both saves a request and the gap between them.
    // Keys during the notice are still ignored (unless barge-in); the menu takes those after it.
    const [r, menu] = await ctx.promptList([
      { promptId: flow.prompts.notice, opts: { interruptible: flow.noticeBargeIn, waitDigitMs: 0 }, step: 'notice' },
      { promptId: flow.prompts.menu, opts: { interruptible: true, waitDigitMs: waitMs(ctx) }, step: 'menu' },
    ]);
    const stop = abandonedOrFailed(r!, 'notice');
    if (stop) return stop;
    // Events were lost while the link was down: we cannot prove the notice was heard, so play it again.
    if (r!.status === 'link_lost') continue;
    ctx.decisions.noticeCompleted = r!.status === 'finished';
    ctx.decisions.playedMenu = menu;
    return { next: 'menu' };
  }
  return { end: { outcome: 'failed', step: 'notice', reason: 'link_lost' } };
}

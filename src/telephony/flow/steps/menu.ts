import type { FlowContext, Transition } from '../types.js';
import { abandonedOrFailed } from './common.js';
import { waitMs } from './language.js';

/**
 * The main menu: keys lead to a route, to the information clause, to an objection, or
 * replay the menu. Invalid keys and silence re-prompt a bounded number of times, then the
 * flow's default route is taken.
 */
export async function menu(ctx: FlowContext): Promise<Transition> {
  const { flow, decisions } = ctx;
  // A key pressed while another prompt played (the clause, the "invalid key" prompt) answers the menu.
  let carried = decisions.pendingMenuKey;
  decisions.pendingMenuKey = undefined;
  // The menu prompt the notice step already played (same playback as the notice), if any.
  let played = decisions.playedMenu;
  decisions.playedMenu = undefined;
  for (;;) {
    let digit: string | undefined = carried;
    carried = undefined;
    if (digit === undefined) {
      const r = played ?? (await ctx.prompt(flow.prompts.menu, { interruptible: true, waitDigitMs: waitMs(ctx) }));
      played = undefined;
      const stop = abandonedOrFailed(r, 'menu');
      if (stop) return stop;
      if (r.status === 'link_lost') continue;
      digit = r.digit;
    }

    const entry = digit === undefined ? undefined : flow.menu[digit];
    if (entry?.action === 'route') {
      decisions.route = entry.route;
      return { next: 'recordingConsent' };
    }
    if (entry?.action === 'clause') return { next: 'clause' };
    if (entry?.action === 'objection') {
      decisions.route = entry.route ?? flow.defaultRoute;
      return { next: 'objection' };
    }
    if (entry?.action === 'withdraw') return { next: 'withdrawal' };
    if (entry?.action === 'repeat') continue;

    const timedOut = digit === undefined;
    await ctx.record(timedOut ? 'menu.timeout' : 'menu.invalid', {
      ...(timedOut ? {} : { digit: digit ?? null }),
      attemptsLeft: decisions.menuAttemptsLeft,
    });
    if (decisions.menuAttemptsLeft-- <= 0) {
      decisions.route = flow.defaultRoute;
      return { next: 'recordingConsent' };
    }
    if (!timedOut) {
      const invalid = await ctx.prompt(flow.prompts.invalid, { interruptible: true, waitDigitMs: 0 });
      const stopped = abandonedOrFailed(invalid, 'menu');
      if (stopped) return stopped;
      carried = invalid.digit;
    }
  }
}

/**
 * The full information clause (GDPR Art. 13); any key or its end returns to the menu. A menu
 * key pressed during the clause (say, the objection key) is taken as the menu choice.
 */
export async function clause(ctx: FlowContext): Promise<Transition> {
  const r = await ctx.prompt(ctx.flow.prompts.clause, { interruptible: true, waitDigitMs: 0 });
  const stop = abandonedOrFailed(r, 'clause');
  if (stop) return stop;
  await ctx.record('clause.listened', { completed: r.status === 'finished', lang: ctx.lang });
  ctx.decisions.menuAttemptsLeft = ctx.flow.retries.menu;
  if (r.digit !== undefined && ctx.flow.menu[r.digit]) ctx.decisions.pendingMenuKey = r.digit;
  return { next: 'menu' };
}

/** The caller refused recording: confirm it, and the call goes on unrecorded. */
export async function objection(ctx: FlowContext): Promise<Transition> {
  await ctx.record('objection.made', { legalBasis: ctx.flow.legalBasis });
  ctx.decisions.recording = false;
  await ctx.record('consent.recording', { decision: 'objected', legalBasis: ctx.flow.legalBasis, how: 'objection_key' });
  const r = await ctx.prompt(ctx.flow.prompts.objectionConfirmed, { interruptible: false, waitDigitMs: 0 });
  const stop = abandonedOrFailed(r, 'objection');
  if (stop) return stop;
  return {
    end: { outcome: 'objected', route: ctx.decisions.route ?? ctx.flow.defaultRoute, recording: false, marketing: 'none' },
  };
}

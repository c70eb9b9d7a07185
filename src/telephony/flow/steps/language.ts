import type { FlowContext, Transition } from '../types.js';
import { abandonedOrFailed } from './common.js';

/** Optional first step: the caller picks a language by key; no key keeps the default. */
export async function language(ctx: FlowContext): Promise<Transition> {
  const choice = ctx.flow.languages.choice;
  if (!choice) return { next: afterLanguage(ctx) };
  for (let attempt = 0; attempt <= ctx.flow.retries.question; attempt++) {
    const r = await ctx.prompt(ctx.flow.prompts.langChoice, { interruptible: true, waitDigitMs: waitMs(ctx) });
    const stop = abandonedOrFailed(r, 'language');
    if (stop) return stop;
    if (r.status === 'link_lost') continue;
    const picked = r.digit === undefined ? undefined : choice[r.digit];
    if (picked) {
      ctx.lang = picked;
      await ctx.record('language.chosen', { lang: picked, how: 'dtmf', digit: r.digit ?? null });
      return { next: afterLanguage(ctx) };
    }
  }
  await ctx.record('language.chosen', { lang: ctx.lang, how: 'default' });
  return { next: afterLanguage(ctx) };
}

/** A dedicated withdrawal line goes straight to the consents on file; every other flow to the notice. */
const afterLanguage = (ctx: FlowContext) => (ctx.flow.withdrawal?.dedicated ? 'withdrawal' : 'notice');

export const waitMs = (ctx: FlowContext) => ctx.flow.timeouts.digitSeconds * 1000;

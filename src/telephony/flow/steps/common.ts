import type { PromptResult } from '../../prompter.js';
import type { StepName, Transition } from '../types.js';

/** The two results every step treats alike: the caller left, or the prompt could not play. */
export function abandonedOrFailed(r: PromptResult, step: StepName): Transition | null {
  if (r.status === 'hangup') return { end: { outcome: 'abandoned', step } };
  if (r.status === 'failed') return { end: { outcome: 'failed', step, reason: `prompt_failed:${r.evidence.promptId}` } };
  return null;
}

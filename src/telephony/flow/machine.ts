import { language } from './steps/language.js';
import { notice } from './steps/notice.js';
import { clause, menu, objection } from './steps/menu.js';
import { marketing, recordingConsent } from './steps/consent.js';
import { withdrawal } from './steps/withdrawal.js';
import type { FlowContext, FlowEnd, Step, StepName, Transition } from './types.js';

/**
 * The call flow as a state machine:
 *
 *   language? → notice → menu ⇄ clause → recordingConsent → marketing? → continued
 *                          ├→ objection → objected
 *                          └→ withdrawal → menu            (a menu key with action "withdraw")
 *   language? → withdrawal → continued, unrecorded          (a dedicated withdrawal line)
 *
 * Any step may end the call as `abandoned` (hang-up) or `failed` (fault). Each step is a
 * small function that plays prompts, records evidence and names the next state.
 */
export const STEPS: Readonly<Record<StepName, Step>> = {
  language,
  notice,
  menu,
  clause,
  objection,
  recordingConsent,
  marketing,
  withdrawal,
};

/** Upper bound on transitions, so a misconfigured loop can never keep a caller forever. */
const MAX_TRANSITIONS = 200;

/** `onStep` hears each step as it starts; `onStepDone` once it has returned or thrown. */
export async function runFlow(ctx: FlowContext, onStep?: (step: StepName) => void, onStepDone?: (step: StepName) => void): Promise<FlowEnd> {
  let state: StepName = 'language';
  for (let i = 0; i < MAX_TRANSITIONS; i++) {
    onStep?.(state);
    let transition: Transition;
    try {
      transition = await STEPS[state](ctx);
    } finally {
      onStepDone?.(state);
    }
    if ('end' in transition) return transition.end;
    state = transition.next;
  }
  return { outcome: 'failed', step: state, reason: 'too_many_transitions' };
}

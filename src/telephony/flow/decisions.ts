import type { Decisions } from './types.js';

/** What a call has decided before its first step: nothing yet, with the flow's menu attempts. */
export function startingDecisions(menuAttempts: number): Decisions {
  return {
    route: null,
    noticeCompleted: false,
    recording: null,
    marketing: 'none',
    menuAttemptsLeft: menuAttempts,
    withdrawn: { marketing: false, recording: false },
  };
}

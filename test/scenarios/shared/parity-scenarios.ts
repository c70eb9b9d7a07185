/**
 * Scenario descriptions run against two targets: the ARI emulator (test/scenarios/parity.test.ts,
 * in `npm test`) and the real Asterisk (test/asterisk/parity.test.ts, `npm run test:asterisk`).
 * A scenario is plain steps over a {@link ScenarioCall}; each target supplies the call.
 */

/** Waits for the `nth` (1-based) start or end of prompt `prompt` (sound:consentline/<prompt>). */
export type ScenarioStep =
  | { readonly wait: 'started' | 'finished'; readonly prompt: string; readonly nth?: number }
  | { readonly press: string }
  | { readonly hangup: true };

export interface ParityScenario {
  /** File name of its recorded stream: test/fixtures/asterisk-streams/<name>.json. */
  readonly name: string;
  readonly title: string;
  readonly steps: readonly ScenarioStep[];
  /** What the ledger says of the call at its end. */
  readonly expect: { readonly outcome: string; readonly recording: 'yes' | 'no' };
}

/** What both targets' flow shares (test/asterisk/setup.ts's COMMON: the menu retried twice). */
export const PARITY_FLOW = {
  menu: { '1': { action: 'route', route: 'agents' }, '8': { action: 'clause' }, '9': { action: 'objection' }, '0': { action: 'repeat' } },
  retries: { menu: 2, question: 1 },
} as const;

export interface ScenarioCall {
  playback(edge: 'started' | 'finished', prompt: string, nth: number): Promise<void>;
  press(digits: string): Promise<void>;
  hangup(): Promise<void>;
}

export const PARITY_SCENARIOS: readonly ParityScenario[] = [
  {
    name: 'consent-key-1',
    title: 'consent by conduct: notice, menu, key 1',
    steps: [{ wait: 'finished', prompt: 'notice' }, { wait: 'finished', prompt: 'menu' }, { press: '1' }],
    expect: { outcome: 'continued', recording: 'yes' },
  },
  {
    name: 'objection-9',
    title: 'objection: key 9 after the menu',
    steps: [{ wait: 'finished', prompt: 'menu' }, { press: '9' }, { wait: 'finished', prompt: 'objection-confirmed' }],
    expect: { outcome: 'objected', recording: 'no' },
  },
  {
    name: 'hangup-during-notice',
    title: 'the caller hangs up while the notice plays',
    steps: [{ wait: 'started', prompt: 'notice' }, { hangup: true }],
    expect: { outcome: 'abandoned', recording: 'no' },
  },
  {
    name: 'invalid-then-silence',
    title: 'an invalid key (7), then silence: the menu three times, then the default route',
    steps: [{ wait: 'finished', prompt: 'menu' }, { press: '7' }, { wait: 'started', prompt: 'invalid' }, { wait: 'finished', prompt: 'menu', nth: 3 }],
    expect: { outcome: 'continued', recording: 'yes' },
  },
  {
    name: 'clause-then-key-1',
    title: 'information clause (8), back to the menu, then key 1',
    steps: [{ wait: 'finished', prompt: 'menu' }, { press: '8' }, { wait: 'finished', prompt: 'clause' }, { wait: 'finished', prompt: 'menu', nth: 2 }, { press: '1' }],
    expect: { outcome: 'continued', recording: 'yes' },
  },
  {
    name: 'key-1-during-menu',
    title: 'key 1 pressed while the menu plays',
    steps: [{ wait: 'started', prompt: 'menu' }, { press: '1' }],
    expect: { outcome: 'continued', recording: 'yes' },
  },
  {
    name: 'objection-during-invalid',
    title: 'an invalid key (7), then 9 while the "invalid key" prompt plays (issue 18, defect 3)',
    steps: [{ wait: 'finished', prompt: 'menu' }, { press: '7' }, { wait: 'started', prompt: 'invalid' }, { press: '9' }, { wait: 'finished', prompt: 'objection-confirmed' }],
    expect: { outcome: 'objected', recording: 'no' },
  },
];

export async function runSteps(call: ScenarioCall, steps: readonly ScenarioStep[]): Promise<void> {
  for (const step of steps) {
    if ('wait' in step) await call.playback(step.wait, step.prompt, step.nth ?? 1);
    else if ('press' in step) await call.press(step.press);
    else await call.hangup();
  }
}

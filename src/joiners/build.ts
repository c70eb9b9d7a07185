/**
 * Parties who join a recorded call, as the service runs them: the agents registry (always, for the
 * API) and, with the recordings' AMI link, the guard that answers the dialplan's joiner subroutine
 * and watches bridges. The composition root owns the result and closes it.
 */
import type { Config } from '../config/schema.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { AmiWatcher } from '../recordings/ami/watcher.js';
import type { RecordingStopper } from '../recordings/control/port.js';
import { asCallId } from '../recordings/pipeline/names.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { AgentRegistry } from './agents.js';
import { JoinerGuard, type JoinerGuardDeps } from './guard.js';
import type { AgentRepo } from './repo.js';

export interface JoinersRuntime {
  readonly registry: AgentRegistry;
  /** Null without the recordings' AMI link (nothing is recorded that could be stopped). */
  readonly guard: JoinerGuard | null;
  close(): void;
}

export function createJoiners(
  config: Readonly<Config>,
  deps: {
    readonly repo: AgentRepo;
    readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
    readonly recordings: { readonly watcher: AmiWatcher | null; readonly control: RecordingStopper | null } | null;
    readonly prompts: JoinerGuardDeps['prompts'];
    readonly pepper: string;
    readonly clock: Clock;
    readonly log: Logger;
  },
): JoinersRuntime {
  const j = config.recordings.joiners;
  const registry = new AgentRegistry({ repo: deps.repo, evidence: deps.evidence, clock: deps.clock, minDays: j.employeeNoticeMinDays, defaultLanguage: j.defaultLanguage });
  const watcher = deps.recordings?.watcher ?? null;
  const stopper = deps.recordings?.control ?? null;
  const guard =
    watcher && stopper
      ? new JoinerGuard({
          watcher,
          stopper,
          agents: registry,
          prompts: deps.prompts,
          evidence: deps.evidence,
          callIdOf: asCallId,
          pepper: deps.pepper,
          log: deps.log,
          clock: deps.clock,
          options: { defaultLanguage: j.defaultLanguage, heardTimeoutMs: j.heardTimeoutSeconds * 1000, actionTimeoutMs: config.recordings.control.confirmTimeoutMs },
        })
      : null;
  return { registry, guard, close: () => guard?.close() };
}

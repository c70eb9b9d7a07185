import { ConfigSchema, type FlowConfig } from '../../../src/config/schema.js';
import type { FlowContext, WithdrawalDesk } from '../../../src/telephony/flow/types.js';
import type { PromptResult, PromptStatus } from '../../../src/telephony/prompter.js';
import { hotlineConfigInput } from '../../support/hotline-config.js';

/** A scripted answer for the next prompt: status and optional key. */
export type Scripted = { prompt: string; status: PromptStatus; digit?: string };

export function flowConfig(overrides: Partial<Record<string, unknown>> = {}): FlowConfig {
  return ConfigSchema.parse(hotlineConfigInput(overrides)).flows[0]!;
}

/**
 * A flow context whose prompter follows a script and fails the test on any prompt the
 * script did not expect — so a test states the exact order of prompts.
 */
const noWithdrawals: WithdrawalDesk = {
  onFile: async () => {
    throw new Error('no withdrawal desk in this test');
  },
  withdraw: async () => {
    throw new Error('no withdrawal desk in this test');
  },
};

export function scriptedContext(flow: FlowConfig, script: Scripted[], opts: { doNotRecord?: boolean; withdrawals?: WithdrawalDesk } = {}) {
  const played: string[] = [];
  const events: { kind: string; data: Record<string, unknown> }[] = [];
  const queue = [...script];
  const ctx: FlowContext = {
    callId: 'call-1',
    flow,
    lang: flow.languages.default,
    doNotRecord: opts.doNotRecord ?? false,
    decisions: { route: null, noticeCompleted: false, recording: null, marketing: 'none', menuAttemptsLeft: flow.retries.menu, withdrawn: { marketing: false, recording: false } },
    withdrawals: opts.withdrawals ?? noWithdrawals,
    async prompt(promptId): Promise<PromptResult> {
      played.push(promptId);
      const next = queue.shift();
      if (!next) throw new Error(`unexpected prompt "${promptId}" after the script ended`);
      if (next.prompt !== promptId) throw new Error(`expected prompt "${next.prompt}", got "${promptId}"`);
      events.push({ kind: 'prompt.played', data: { promptId, status: next.status } });
      return {
        status: next.status,
        ...(next.digit === undefined ? {} : { digit: next.digit }),
        ignoredDigits: [],
        evidence: {
          promptId,
          lang: ctx.lang,
          version: '1',
          audioSha256: 'x',
          playbackId: `pb-${played.length}`,
          startedAt: '',
          endedAt: '',
          playback: 'completed',
        },
      };
    },
    // As one playback: the list stops at the first prompt that did not play to its end.
    // `this`: a test may swap `prompt` in a copy of the context.
    async promptList(items) {
      const results: PromptResult[] = [];
      for (const item of items) {
        const r = await this.prompt(item.promptId, item.opts);
        results.push(r);
        if (r.status !== 'finished') break;
      }
      return results;
    },
    async record(kind, data) {
      events.push({ kind, data });
    },
  };
  return { ctx, played, events, remaining: () => queue.length };
}

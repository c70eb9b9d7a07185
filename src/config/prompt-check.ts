import type { Config } from './schema.js';

/** The prompt library as far as the check needs it (telephony's PromptLookup fits). */
export interface PromptLookup {
  /** Throws when the prompt does not exist for that language. */
  get(promptId: string, lang: string): unknown;
}

/**
 * Every prompt a flow can play must exist for every language the flow offers: a missing
 * one is a config error at start-up, not silence on a live call.
 */
export function missingPrompts(config: Config, prompts: PromptLookup): string[] {
  const problems: string[] = [];
  config.flows.forEach((flow, i) => {
    const used = Object.entries(flow.prompts).filter(([key]) => {
      if (key === 'langChoice') return flow.languages.choice !== undefined;
      if (key === 'recordingConsent') return flow.legalBasis === 'explicit_consent';
      if (key === 'marketingConsent') return flow.marketing?.enabled === true;
      return true;
    });
    for (const lang of flow.languages.offered) {
      for (const [key, id] of used) {
        try {
          prompts.get(id, lang);
        } catch {
          problems.push(`flows[${i}].prompts.${key}: prompt "${id}" has no audio for language "${lang}"`);
        }
      }
    }
  });
  return problems;
}

import { JOINER_NOTICE_PROMPT, SPOKEN_PIECE_IDS, WITHDRAWAL_PROMPTS } from './defaults.js';
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
    const withdrawal = flow.withdrawal?.dedicated || Object.values(flow.menu).some((e) => e.action === 'withdraw');
    for (const lang of flow.languages.offered) {
      for (const [key, id] of used) {
        try {
          prompts.get(id, lang);
        } catch {
          problems.push(`flows[${i}].prompts.${key}: prompt "${id}" has no audio for language "${lang}"`);
        }
      }
      // The withdrawal line's sentences and the pieces it says dates and counts with.
      const missing = withdrawal ? [...Object.values(WITHDRAWAL_PROMPTS), ...SPOKEN_PIECE_IDS].filter((id) => !has(prompts, id, lang)) : [];
      if (missing.length) problems.push(`flows[${i}].withdrawal: ${missing.length} prompt(s) of the withdrawal line have no audio for language "${lang}" (first: "${missing[0]}")`);
    }
  });
  // The notice a party joining a recorded call hears, in the default language (recordings.joiners).
  const joinerLang = config.recordings.joiners.defaultLanguage;
  if (config.recordings.enabled && !has(prompts, JOINER_NOTICE_PROMPT, joinerLang)) problems.push(`recordings.joiners.defaultLanguage: prompt "${JOINER_NOTICE_PROMPT}" has no audio for language "${joinerLang}"`);
  return problems;
}

function has(prompts: PromptLookup, id: string, lang: string): boolean {
  try {
    prompts.get(id, lang);
    return true;
  } catch {
    return false;
  }
}

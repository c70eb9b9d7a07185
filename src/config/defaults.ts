/**
 * Names shared between ConsentLine and the sample Asterisk configs in asterisk/.
 * test/asterisk-configs.test.ts checks the samples against these, so they cannot drift.
 */
export const DEFAULTS = {
  /** Stasis application name: the dialplan runs Stasis(consentline). */
  ariApp: 'consentline',
  ariUrl: 'http://127.0.0.1:8088',
  ariUser: 'consentline',
  amiHost: '127.0.0.1',
  amiPort: 5038,
  amiUser: 'consentline',
  /** Inbound context that hands calls to Stasis. */
  inboundContext: 'consentline-inbound',
  /** Context the flow continues into; starts MixMonitor only when CONSENT_RECORDING=yes. */
  afterContext: 'consentline-after',
  /** Context reached on any internal fault: served, never recorded. */
  fallbackContext: 'consentline-fallback',
  apiHost: '127.0.0.1',
  apiPort: 8480,
  /** The ops listener: /health, /ready and /metrics without a token. */
  opsPort: 8481,
  dataDir: './data',
  configFile: './consentline.yaml',
  /** Prompts live in Asterisk's sounds/<lang>/consentline/<id>.<ext>; media URI sound:consentline/<id>. */
  soundsSubdir: 'consentline',
  promptsDir: './audio-prompts',
  spoolDir: '/var/spool/asterisk/monitor',
} as const;

/** Channel variables ConsentLine sets before continuing the call in the dialplan. */
export const CHANNEL_VARS = {
  consentId: 'CONSENT_ID',
  recording: 'CONSENT_RECORDING',
  marketing: 'CONSENT_MARKETING',
  language: 'CONSENT_LANG',
} as const;

/** Prompt ids every language must provide (audio-prompts/<lang>.yaml). */
export const PROMPT_IDS = [
  'lang-choice',
  'notice',
  'menu',
  'clause',
  'objection-confirmed',
  'recording-consent',
  'marketing-consent',
  'invalid',
  'goodbye',
] as const;
export type PromptId = (typeof PROMPT_IDS)[number];

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
  /** A dialer's campaign calls enter here: Stasis(consentline,outbound,<campaign>,<number>) before any Dial. */
  outboundContext: 'consentline-outbound',
  /** The outbound guard continues here: "dial" (dials only on CONSENT_OUTBOUND=allowed) or "refused" (never dials). */
  outboundDialContext: 'consentline-outbound-dial',
  /** The first Stasis argument that marks a campaign call for the outbound guard. */
  outboundStasisArg: 'outbound',
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
  /** Outbound guard: `allowed` or `refused`; the dial route dials only on `allowed`. */
  outbound: 'CONSENT_OUTBOUND',
  /** Outbound guard: why (marketing_consent_given, no_marketing_consent, …). */
  outboundReason: 'CONSENT_OUTBOUND_REASON',
} as const;

const FLOW_PROMPT_IDS = [
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

/** The withdrawal line's sentences (telephony/flow/steps/withdrawal.ts), by what they say. */
export const WITHDRAWAL_PROMPTS = {
  intro: 'withdraw-intro',
  noNumber: 'withdraw-no-number',
  nothing: 'withdraw-nothing',
  marketingGiven: 'withdraw-marketing-given',
  channels: 'withdraw-channels',
  marketingConfirm: 'withdraw-marketing-confirm',
  marketingDone: 'withdraw-marketing-done',
  recordingsOnConsent: 'withdraw-recordings-consent',
  recordingsOnInterest: 'withdraw-recordings-interest',
  recordingConfirm: 'withdraw-recording-confirm',
  recordingDone: 'withdraw-recording-done',
  objectionNoted: 'withdraw-objection-noted',
  kept: 'withdraw-kept',
  otherWays: 'withdraw-other-ways',
} as const;

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Years the withdrawal line can say; a date outside them is said without its year. */
export const SPOKEN_YEARS = { from: 2025, to: 2045 } as const;
/** Counts said as whole phrases ("three recordings": the noun's form depends on the number); more: `count-many`. */
export const SPOKEN_COUNT_MAX = 9;

/**
 * Prerecorded pieces the withdrawal line joins to say a date (day, month, year), a number of
 * recordings and the channels of a consent: each a prompt of its own, in the manifest, hashed
 * and recorded as played like every other (docs/data-protection.md, "Withdrawal by phone").
 */
export const SPOKEN_PIECE_IDS: readonly string[] = [
  ...['phone', 'sms', 'email'].map((c) => `channel-${c}`),
  ...range(1, 31).map((d) => `date-day-${d}`),
  ...range(1, 12).map((m) => `date-month-${m}`),
  ...range(SPOKEN_YEARS.from, SPOKEN_YEARS.to).map((y) => `date-year-${y}`),
  ...range(1, SPOKEN_COUNT_MAX).map((n) => `count-recordings-${n}`),
  'count-recordings-many',
];

/** Prompt ids every language must provide (audio-prompts/<lang>.yaml). */
/** The notice a party joining a recorded call hears before the caller (asterisk/extensions.conf, consentline-joiner). */
export const JOINER_NOTICE_PROMPT = 'joiner-notice';

export const PROMPT_IDS: readonly string[] = [...FLOW_PROMPT_IDS, ...Object.values(WITHDRAWAL_PROMPTS), ...SPOKEN_PIECE_IDS, JOINER_NOTICE_PROMPT];
export type PromptId = string;

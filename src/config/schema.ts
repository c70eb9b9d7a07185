import { z } from 'zod';
import { parseDatabaseUrl } from '../db/pg-url.js';
import { parseVerifierKey } from '../shared/note-keys.js';
import { LOG_FORMATS } from '../shared/log-pretty.js';
import { DEFAULTS } from './defaults.js';
import { RecordingsConfigSchema } from './recordings-schema.js';
import { AssuranceConfigSchema } from './assurance-schema.js';
import { OutboundConfigSchema } from './outbound-schema.js';
import { RetentionConfigSchema, RetentionPolicySchema } from './retention-schema.js';
import { AriListenSchema, TlsClientSchema } from './tls-schema.js';

const digit = z.string().regex(/^[0-9*#]$/, 'must be one DTMF key: 0-9, * or #');
const lang = z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'must be a language code like "pl" or "en"');
const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"');
const seconds = (min: number, max: number) => z.number().min(min).max(max);

/** /health, /ready and /metrics without a token, for Prometheus and probes; nothing else is served there. */
const OpsListenerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default(DEFAULTS.apiHost),
  port: z.number().int().min(0).max(65535).default(DEFAULTS.opsPort),
});

export const RouteSchema = z.strictObject({
  context: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a dialplan context name'),
  extension: z.string().regex(/^[A-Za-z0-9_+*#.-]+$/, 'must be a dialplan extension'),
  priority: z.number().int().min(1).default(1),
});
export type Route = z.infer<typeof RouteSchema>;

export const LEGAL_BASES = ['consent_by_conduct', 'explicit_consent', 'legitimate_interest'] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

const MenuEntrySchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('route'), route: name }),
  z.strictObject({ action: z.literal('clause') }),
  z.strictObject({ action: z.literal('objection'), route: name.optional() }),
  z.strictObject({ action: z.literal('repeat') }),
  /** Withdrawal by phone: the consents on file for the caller's number, each withdrawn with a key; then back to the menu. */
  z.strictObject({ action: z.literal('withdraw') }),
]);

const knownTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** Withdrawal by phone (GDPR Art. 7(3)): a menu key with action "withdraw", or a dedicated number. */
const WithdrawalSchema = z.strictObject({
  /** The flow is the withdrawal line itself (its own number): no notice or menu, the consents on file at once, then goodbye and the default route, never recorded. */
  dedicated: z.boolean().default(false),
  /** Withdraws the consent just described. */
  confirmDigit: digit.default('1'),
  /** Keeps it. */
  keepDigit: digit.default('2'),
  /** IANA time zone the dates of consents are said in. */
  timeZone: z.string().refine(knownTimeZone, 'must be an IANA time zone like "Europe/Warsaw"').default('Europe/Warsaw'),
});
export type MenuEntry = z.infer<typeof MenuEntrySchema>;

const PromptsSchema = z.strictObject({
  langChoice: name.default('lang-choice'),
  notice: name.default('notice'),
  menu: name.default('menu'),
  clause: name.default('clause'),
  objectionConfirmed: name.default('objection-confirmed'),
  recordingConsent: name.default('recording-consent'),
  marketingConsent: name.default('marketing-consent'),
  invalid: name.default('invalid'),
  goodbye: name.default('goodbye'),
});
export type FlowPrompts = z.infer<typeof PromptsSchema>;

const FlowSchema = z.strictObject({
  id: name,
  /** Called numbers (DIDs) this flow answers; the flow marked default takes the rest. */
  dids: z.array(z.string().regex(/^\+?[0-9]{2,20}$/, 'must be a phone number (digits, optional +)')).default([]),
  default: z.boolean().default(false),
  legalBasis: z.enum(LEGAL_BASES),
  languages: z
    .strictObject({
      default: lang,
      offered: z.array(lang).min(1),
      /** Optional language-choice step before the notice: digit → language. */
      choice: z.record(digit, lang).optional(),
    })
    .default({ default: 'pl', offered: ['pl'] }),
  prompts: PromptsSchema.default(PromptsSchema.parse({})),
  /** Answer the channel before the notice (off: the prompts play as early media on an unanswered channel). */
  answer: z.boolean().default(true),
  /** Whether a key press may cut the notice short. Off by default: the notice is heard in full. */
  noticeBargeIn: z.boolean().default(false),
  /** Required, with an objection and a clause key, unless the flow is a dedicated withdrawal line. */
  menu: z.record(digit, MenuEntrySchema).default({}),
  withdrawal: WithdrawalSchema.optional(),
  /** Digits of the explicit recording consent question (legalBasis explicit_consent only). */
  recordingConsent: z
    .strictObject({ agreeDigit: digit.default('1'), refuseDigit: digit.default('2') })
    .default({ agreeDigit: '1', refuseDigit: '2' }),
  marketing: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The controller's full name, as the consent must name it. */
      controller: z.string().min(3),
      channels: z.array(z.enum(['phone', 'sms', 'email'])).min(1),
      yesDigit: digit.default('1'),
      noDigit: digit.default('2'),
    })
    .optional(),
  timeouts: z
    .strictObject({
      /** Wait for a key after a prompt ends. */
      digitSeconds: seconds(0.2, 60).default(5),
      /** Hard limit for the whole IVR part of a call: no caller is ever left in silence. */
      callSeconds: seconds(1, 3600).default(300),
      /** A single prompt playing longer than this counts as a fault. */
      promptSeconds: seconds(1, 1800).default(600),
    })
    .default({ digitSeconds: 5, callSeconds: 300, promptSeconds: 600 }),
  retries: z
    .strictObject({ menu: z.number().int().min(0).max(9).default(2), question: z.number().int().min(0).max(9).default(1) })
    .default({ menu: 2, question: 1 }),
  defaultRoute: name,
  fallbackRoute: name,
  /** This flow's retention policy, over `retention.default`. */
  retention: RetentionPolicySchema.optional(),
});
export type FlowConfig = z.infer<typeof FlowSchema>;

const secret = z.string().min(1);

const ControllerAddressSchema = z.strictObject({
  streetAddress: z.string().min(1),
  locality: z.string().min(1),
  region: z.string().min(1).optional(),
  postalCode: z.string().min(1),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code like "PL"'),
  postOfficeBoxNumber: z.string().min(1).optional(),
});

const AsteriskServerSchema = z.strictObject({
  /** Names the server in the evidence of each call that came from it. */
  name,
  url: z.url(),
  username: z.string().optional(),
  password: secret.optional(),
});

export const ConfigSchema = z.strictObject({
  service: z
    .strictObject({
      dataDir: z.string().default(DEFAULTS.dataDir),
      /** Names this instance in the evidence (which ConsentLine wrote an event). */
      instanceId: name.default('consentline-1'),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      logFormat: z.enum(LOG_FORMATS).default('auto'),
      /** Country code used to turn national caller numbers into E.164. */
      defaultCountryCode: z.string().regex(/^[0-9]{1,3}$/).default('48'),
    })
    .default({ dataDir: DEFAULTS.dataDir, instanceId: 'consentline-1', logLevel: 'info', logFormat: 'auto', defaultCountryCode: '48' }),
  ari: z
    .strictObject({
      url: z.url().default(DEFAULTS.ariUrl),
      username: z.string().default(DEFAULTS.ariUser),
      password: secret.optional(),
      app: name.default(DEFAULTS.ariApp),
      requestTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
      /** Most HTTP connections to one Asterisk; with `httpSessionLimit` (Asterisk's http.conf `sessionlimit`) it keeps headroom. */
      maxSockets: z.number().int().min(1).max(1000).default(64),
      httpSessionLimit: z.number().int().min(1).max(100_000).default(100),
      /** Names this Asterisk server in the evidence. */
      server: name.default('asterisk-1'),
      /**
       * Several Asterisk servers, each with its own ARI link. When given, `url` and `server`
       * above are not used; `username`, `password`, `app` and `requestTimeoutMs` are the defaults.
       */
      servers: z.array(AsteriskServerSchema).min(1).optional(),
      /** Certificate checks for an `https://` url (and `wss://` events). */
      tls: TlsClientSchema.optional(),
      /** Outbound ARI WebSocket: listen for Asterisk instead of connecting to it (see admin guide). */
      listen: AriListenSchema.optional(),
    })
    .default({
      url: DEFAULTS.ariUrl,
      username: DEFAULTS.ariUser,
      app: DEFAULTS.ariApp,
      requestTimeoutMs: 3000,
      maxSockets: 64,
      httpSessionLimit: 100,
      server: 'asterisk-1',
    }),
  database: z
    .strictObject({
      /** SQLite file (the embedded default: <dataDir>/consentline.sqlite). */
      path: z.string().optional(),
      /** `sqlite:PATH` or `postgres://user@host:5432/db` (several instances sharing one ledger). */
      url: z
        .string()
        .superRefine((url, ctx) => {
          const parsed = parseDatabaseUrl(url);
          if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
        })
        .optional(),
    })
    .refine((db) => db.path === undefined || db.url === undefined, { message: 'set database.url or database.path, not both', path: ['url'] })
    .default({}),
  evidence: z
    .strictObject({
      /** Secret key for caller look-up hashes (HMAC-SHA-256). Set by env CONSENTLINE_PEPPER in production. */
      pepper: secret.optional(),
      /**
       * Ed25519 key (PKCS#8 PEM, created 0600 if missing) that signs checkpoints and bundles;
       * default <dataDir>/secrets/checkpoint-ed25519.pem. Instances sharing one ledger share it.
       */
      checkpointKeyFile: z.string().min(1).optional(),
      /** Names the ledger in signed checkpoints; default `consentline/<service.instanceId>`. */
      checkpointOrigin: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces').optional(),
      /** Verifier keys of former signing keys, so `/ledger/verify` still checks the checkpoints they signed. */
      checkpointVerifierKeys: z
        .array(z.string().refine((k) => parseVerifierKey(k) !== null, 'must be a verifier key (name+hash+base64key, from /checkpoints/public-key)'))
        .max(64)
        .optional(),
      /** When checkpoints are signed on their own: the last one this old, or this many events after it (0 = never by that rule). */
      checkpoint: z
        .strictObject({ everyMinutes: z.number().min(0).max(1440).default(10), everyEvents: z.number().int().min(0).default(10_000) })
        .default({ everyMinutes: 10, everyEvents: 10_000 }),
    })
    .default({ checkpoint: { everyMinutes: 10, everyEvents: 10_000 } }),
  prompts: z
    .strictObject({ dir: z.string().default(DEFAULTS.promptsDir) })
    .default({ dir: DEFAULTS.promptsDir }),
  api: z
    .strictObject({
      host: z.string().default(DEFAULTS.apiHost),
      port: z.number().int().min(0).max(65535).default(DEFAULTS.apiPort),
      rateLimit: z.strictObject({ perMinute: z.number().int().min(1).max(1_000_000).default(600) }).default({ perMinute: 600 }),
      ops: OpsListenerSchema.default(() => OpsListenerSchema.parse({})),
    })
    .refine((a) => !a.ops.enabled || a.ops.port === 0 || a.ops.port !== a.port, { message: 'must differ from api.port', path: ['ops', 'port'] })
    .default(() => ({ host: DEFAULTS.apiHost, port: DEFAULTS.apiPort, rateLimit: { perMinute: 600 }, ops: OpsListenerSchema.parse({}) })),
  /** The auditor/DPO console in the browser (/console on the API listener; docs/auditor-guide.md). */
  console: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** A session ends after this long without a request. */
      idleMinutes: z.number().int().min(1).max(24 * 60).default(30),
      /** ... and this long after sign-in, however busy. */
      absoluteHours: z.number().min(0.1).max(7 * 24).default(12),
      /** auto: the cookie is Secure when the request came over TLS; always: Secure regardless (behind a TLS proxy). */
      secureCookie: z.enum(['auto', 'always']).default('auto'),
    })
    .default({ enabled: true, idleMinutes: 30, absoluteHours: 12, secureCookie: 'auto' }),
  controller: z
    .strictObject({
      name: z.string().min(1),
      jurisdiction: z.string().default('PL'),
      contact: z.string().min(1).optional(),
      // Kantara receipts need address, email, phone and policyUrl (docs/consent-receipts.md).
      address: ControllerAddressSchema.optional(),
      email: z.email().optional(),
      phone: z.string().regex(/^\+[0-9][0-9 ()-]{5,30}$/, 'must be an international number starting with +').optional(),
      url: z.url({ protocol: /^https?$/ }).optional(),
      policyUrl: z.url({ protocol: /^https?$/ }).optional(),
    })
    .default({ name: 'Example Controller Sp. z o.o.', jurisdiction: 'PL' }),
  routes: z.record(name, RouteSchema),
  flows: z.array(FlowSchema).min(1),
  recordings: RecordingsConfigSchema.default(() => RecordingsConfigSchema.parse({})),
  retention: RetentionConfigSchema.default(() => RetentionConfigSchema.parse({})),
  assurance: AssuranceConfigSchema.default(() => AssuranceConfigSchema.parse({})),
  /** Campaign calls a dialer places through the dialplan: checked against the marketing registry before the Dial. */
  outbound: OutboundConfigSchema.optional(),
});
export type Config = z.infer<typeof ConfigSchema>;

/**
 * What each configuration key means, for the generated reference in docs/admin-guide.md.
 * Keyed by the generator's path notation: `a.b`, `flows[].x` (every flow), `routes.<name>`
 * and `….<digit>` (map entries). test/docs/config-reference.test.ts fails when a schema path
 * has no text here, or a text names a path the schema does not have.
 */
export const CONFIG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  service: 'The process itself: where it keeps data, how it names itself, how much it logs.',
  'service.dataDir':
    'Directory for everything the service writes: the SQLite database (unless `database.path` is set) and `secrets/pepper` when the pepper is generated. Created with mode 0700.',
  'service.instanceId': 'Names this ConsentLine instance in the evidence (`instance` in every `call.started` event).',
  'service.logLevel': 'Least level written to the JSON log on stdout.',
  'service.defaultCountryCode':
    'Calling code (without +) used to turn national caller numbers into E.164 before they are minimised (`600123456` → `+48600123456`).',

  ari: 'The link to Asterisk ARI (HTTP + WebSocket).',
  'ari.url': 'Asterisk’s HTTP server; a trailing `/ari` is accepted.',
  'ari.username': 'ARI user from Asterisk’s `ari.conf`.',
  'ari.password':
    'Password of the ARI user. A secret: give it through the environment, a `_FILE` or the systemd credential `ari-password`, not in the YAML file. Without it the service starts, warns, and its ARI connection attempts fail.',
  'ari.app': 'Stasis application name; the dialplan must run `Stasis(<app>)` with the same name.',
  'ari.requestTimeoutMs': 'Deadline of every ARI REST request. A request past it is a fault: the call goes to its fallback route.',
  'ari.server': 'Names the Asterisk server in the evidence (`server` in `call.started` and the calls table).',

  database: 'The evidence database.',
  'database.path': 'SQLite file of the evidence ledger, calls, subjects and API tokens. Default: `<service.dataDir>/consentline.sqlite`.',

  evidence: 'The evidence ledger.',
  'evidence.pepper':
    'Secret key of the caller look-up hash (HMAC-SHA-256 of the E.164 number). When unset, one is generated on first start into `<service.dataDir>/secrets/pepper` (0600) and reused. Changing it makes earlier look-up keys unfindable. A secret: environment, `_FILE` or systemd credential `pepper`.',

  prompts: 'The voice prompts the service checks and plays.',
  'prompts.dir':
    'Directory with `manifest.json` and `sounds/`; every file is re-hashed at start-up and the start is refused if one differs from the manifest or a prompt a flow needs is missing.',

  api: 'The HTTP API (health, readiness, metrics, OpenAPI).',
  'api.host': 'Address the API listens on. Keep it on loopback unless a reverse proxy with TLS is in front.',
  'api.port': 'TCP port of the API; 0 picks a free port (tests).',

  controller: 'The data controller, as the organisation running the hotline.',
  'controller.name': 'The controller’s full legal name.',
  'controller.jurisdiction': 'Country whose law applies (ISO code).',
  'controller.contact': 'Contact for data-protection questions (e-mail or address).',

  routes: 'Named places in the dialplan a call can continue to. Flows refer to routes by name; every name used must exist (checked at load).',
  'routes.<name>': 'One dialplan target.',
  'routes.<name>.context': 'Dialplan context, e.g. `consentline-after`.',
  'routes.<name>.extension': 'Extension in that context; it must exist there, or Asterisk hangs the caller up after `continue`.',
  'routes.<name>.priority': 'Dialplan priority to continue at.',

  flows: 'The call flows. Exactly one must be `default: true`; it answers every called number no other flow lists.',
  'flows[].id': 'Names the flow in the evidence and the calls table; unique.',
  'flows[].dids': 'Called numbers (DIDs) this flow answers, compared by their digits only. A number may belong to one flow.',
  'flows[].default': 'This flow takes calls to numbers no flow lists.',
  'flows[].legalBasis':
    'How the recording decision is made: `consent_by_conduct` (notice heard in full, caller stays on the line), `explicit_consent` (a key to agree; anything else is no), `legitimate_interest` (notice plus the right to object).',
  'flows[].languages': 'Languages of the flow’s prompts.',
  'flows[].languages.default': 'Language used when the channel’s language is not offered and the caller does not choose; must be one of `offered`.',
  'flows[].languages.offered': 'Languages the flow may play; prompts must exist for each (checked at start-up).',
  'flows[].languages.choice': 'Optional language-choice step before the notice: key → language. Without it there is no choice step.',
  'flows[].languages.choice.<digit>': 'The language this key selects; must be one of `offered`.',
  'flows[].prompts': 'Prompt ids the flow plays at each step (from `audio-prompts/manifest.json`).',
  'flows[].prompts.langChoice': 'The language-choice question.',
  'flows[].prompts.notice': 'The recording notice, played in full before anything else.',
  'flows[].prompts.menu': 'The main menu.',
  'flows[].prompts.clause': 'The full information clause (GDPR Art. 13).',
  'flows[].prompts.objectionConfirmed': 'Confirms an objection: the call goes on unrecorded.',
  'flows[].prompts.recordingConsent': 'The explicit recording-consent question (`explicit_consent` only).',
  'flows[].prompts.marketingConsent': 'The marketing-consent question.',
  'flows[].prompts.invalid': 'Played after an invalid menu key.',
  'flows[].prompts.goodbye': 'Not played by the flow at present, but checked at start-up like the others.',
  'flows[].noticeBargeIn': 'Whether a key may cut the notice short. Off: the notice is heard in full.',
  'flows[].menu': 'Menu keys. Must offer a `clause` key and an `objection` key (checked at load).',
  'flows[].menu.<digit>': 'What one key does.',
  'flows[].menu.<digit>.action':
    '`route`: continue to a route; `clause`: play the information clause, then the menu again; `objection`: object to recording, continue unrecorded; `repeat`: play the menu again.',
  'flows[].menu.<digit>.route': 'Route to continue to (for `objection` optional: default `defaultRoute`).',
  'flows[].recordingConsent': 'Keys of the explicit recording-consent question (`legalBasis: explicit_consent`).',
  'flows[].recordingConsent.agreeDigit': 'Key that grants consent.',
  'flows[].recordingConsent.refuseDigit': 'Key that refuses it. Silence or other keys after the retries count as no answer: not recorded.',
  'flows[].marketing': 'Optional marketing-consent question after the recording decision.',
  'flows[].marketing.enabled': 'Ask the question.',
  'flows[].marketing.controller': 'The controller’s full name, as the consent must name it; recorded in the `consent.marketing` event.',
  'flows[].marketing.channels': 'Channels the consent covers; recorded in the event.',
  'flows[].marketing.yesDigit': 'Key for yes.',
  'flows[].marketing.noDigit': 'Key for no.',
  'flows[].timeouts': 'Time limits; no caller is left in silence.',
  'flows[].timeouts.digitSeconds': 'Wait for a key after a prompt ends.',
  'flows[].timeouts.callSeconds': 'Hard limit for the whole IVR part of a call; past it the call goes to its fallback route, unrecorded.',
  'flows[].timeouts.promptSeconds': 'A single prompt playing longer than this is a fault.',
  'flows[].retries': 'How often a question is asked again.',
  'flows[].retries.menu': 'Invalid keys or silences in the menu before `defaultRoute` is taken.',
  'flows[].retries.question': 'Repeats of the language and consent questions before they count as unanswered.',
  'flows[].defaultRoute': 'Route taken when the menu gets no valid key, and for objections without a route of their own.',
  'flows[].fallbackRoute': 'Route for every fault (ARI error, missing prompt, evidence-store fault, time limit, shutdown): the caller is served, never recorded.',
};

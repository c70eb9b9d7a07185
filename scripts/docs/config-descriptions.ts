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
  'service.logLevel': 'Least level written to the log on stdout.',
  'service.logFormat':
    '`json` (one object a line, for journald, files and log shippers), `pretty` (one readable line an entry, coloured on a terminal), or `auto`: pretty when stdout is a terminal, JSON otherwise.',
  'service.defaultCountryCode':
    'Calling code (without +) used to turn national caller numbers into E.164 before they are minimised (`600123456` → `+48600123456`).',

  ari: 'The link to Asterisk ARI (HTTP + WebSocket).',
  'ari.url': 'Asterisk’s HTTP server; a trailing `/ari` is accepted.',
  'ari.username': 'ARI user from Asterisk’s `ari.conf`.',
  'ari.password':
    'Password of the ARI user. A secret: give it through the environment, a `_FILE` or the systemd credential `ari-password`, not in the YAML file. Without it the service starts, warns, and its ARI connection attempts fail.',
  'ari.app': 'Stasis application name; the dialplan must run `Stasis(<app>)` with the same name.',
  'ari.requestTimeoutMs': 'Deadline of every ARI REST request. A request past it is a fault: the call goes to its fallback route.',
  'ari.maxSockets':
    'Most HTTP connections the service opens to one Asterisk for ARI requests; more requests wait their turn (within `requestTimeoutMs`). Must stay 16 below `ari.httpSessionLimit`: past its `sessionlimit` Asterisk drops new connections unanswered and those calls go to the fallback route.',
  'ari.httpSessionLimit':
    'The `sessionlimit` in Asterisk’s `http.conf` (Asterisk’s default and the shipped file: 100). Only used to check `ari.maxSockets`; raise both together.',
  'ari.server': 'Names the Asterisk server in the evidence (`server` in `call.started` and the calls table).',
  'ari.servers':
    'Several Asterisk servers, each with its own ARI link and call manager: one going away touches only its own calls. When set, `ari.url` and `ari.server` are not used; `username`, `password`, `app` and `requestTimeoutMs` above are the defaults for every entry. Names and URLs must be unique.',
  'ari.servers[].name': 'Names the server in the evidence (`server` in `call.started`), the logs and the `consentline_ari_connected{server}` metric.',
  'ari.servers[].url': 'This server’s HTTP server (ARI).',
  'ari.servers[].username': 'ARI user on this server; default `ari.username`.',
  'ari.servers[].password': 'ARI password on this server; default `ari.password` (`CONSENTLINE_ARI_PASSWORD`).',

  database: 'The evidence database.',
  'database.path': 'SQLite file of the evidence ledger, calls, subjects and API tokens. Default: `<service.dataDir>/consentline.sqlite`.',
  'database.url':
    '`sqlite:PATH`, or `postgres://user@host:5432/db` for several instances sharing one ledger, upload queue and retention sweep. Set `url` or `path`, not both. A password in the URL makes this value a secret: prefer `CONSENTLINE_DATABASE_URL_FILE` or the `database-url` credential.',

  evidence: 'The evidence ledger.',
  'evidence.pepper':
    'Secret key of the caller look-up hash (HMAC-SHA-256 of the E.164 number). When unset, one is generated on first start into `<service.dataDir>/secrets/pepper` (0600) and reused. Changing it makes earlier look-up keys unfindable. A secret: environment, `_FILE` or systemd credential `pepper`.',
  'evidence.checkpointKeyFile':
    'Ed25519 signing key (PKCS#8 PEM) of checkpoints and evidence bundles; created 0600 when missing. Default: `<service.dataDir>/secrets/checkpoint-ed25519.pem`. Several instances on one PostgreSQL ledger must share one key file (and one `checkpointOrigin`): an auditor checks every checkpoint with one verifier key. The service warns at start-up when the latest checkpoint was signed with another key or origin.',
  'evidence.checkpointOrigin': 'The ledger’s name in signed checkpoints (the first line of the note). Default: `consentline/<service.instanceId>`; set one shared name when several instances share a ledger.',
  'evidence.checkpointVerifierKeys':
    'Verifier keys (`name+hash+base64key`, as `/checkpoints/public-key` gave them) of former checkpoint signing keys. `/ledger/verify` checks every stored checkpoint against the current key and these; a checkpoint signed by neither fails as `unknown_key`. Add the old verifier key here when you change `checkpointKeyFile`.',

  prompts: 'The voice prompts the service checks and plays.',
  'prompts.dir':
    'Directory with `manifest.json` and `sounds/`; every file is re-hashed at start-up and the start is refused if one differs from the manifest or a prompt a flow needs is missing.',

  api: 'The HTTP API (health, readiness, metrics, OpenAPI).',
  'api.host': 'Address the API listens on. Keep it on loopback unless a reverse proxy with TLS is in front.',
  'api.port': 'TCP port of the API; 0 picks a free port (tests).',
  'api.rateLimit': 'How many requests one client may make.',
  'api.rateLimit.perMinute': 'Requests per minute per token (per address for requests without one); past it the API answers 429.',
  'api.ops':
    'A second listener for monitoring: `/health`, `/ready` and `/metrics` without a token, nothing else (404). Prometheus then needs no token that could read evidence. The API listener keeps serving `/ready` and `/metrics` to auditor tokens.',
  'api.ops.enabled': 'Whether the ops listener runs.',
  'api.ops.host': 'Address of the ops listener. Loopback by default: what it serves needs no token, so open it only to the monitoring network (the container image sets `0.0.0.0`).',
  'api.ops.port': 'TCP port of the ops listener; must differ from `api.port`; 0 picks a free port (tests).',

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
  'flows[].answer':
    'Answer the channel (ARI `answer`) before the first prompt, unless it is already up. `false` for sites that must not answer early: the prompts then play as early media on a ringing channel, which only works where the trunk passes early media (some do not: the caller hears silence), and many carriers cut an unanswered call after about 30 s, so a caller who listens to the clause may be cut off. The evidence says which (`answer` in `call.started`).',
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
  'flows[].retention': 'This flow’s retention policy; any key left out comes from `retention.default`.',
  'flows[].retention.recordingsDays': 'Days a kept recording of this flow stays in the object store after capture.',
  'flows[].retention.evidenceDays': 'Days the personal data behind this flow’s call evidence (number, salt, look-up key, masked number) is kept after the call; the chained events are never deleted.',
  'flows[].retention.quarantineDays': 'Days a quarantined recording of this flow is kept.',
  'flows[].defaultRoute': 'Route taken when the menu gets no valid key, and for objections without a route of their own.',
  'flows[].fallbackRoute': 'Route for every fault (ARI error, missing prompt, evidence-store fault, time limit, shutdown): the caller is served, never recorded.',

  recordings: 'Call recordings: how they are captured, where they are read from, how they are encrypted and where they are kept.',
  'recordings.enabled': 'Handle recordings at all.',
  'recordings.capture':
    '`dialplan`: the dialplan starts MixMonitor behind `CONSENT_RECORDING=yes` (asterisk/extensions.conf). `ami`: ConsentLine sends the AMI MixMonitor action once the call’s recording consent is set; the dialplan must then not start MixMonitor itself, and the AMI user needs `write = system`. `ami` works with `source: spool` only.',
  'recordings.source':
    '`spool`: a directory shared with Asterisk (its monitor directory). `ari`: no shared disk; MixMonitor writes into Asterisk’s recording directory and ConsentLine fetches each file over ARI, deleting it there after a verified upload.',
  'recordings.spoolDir': 'The Asterisk monitor directory as this host sees it (source `spool`).',
  'recordings.spoolId':
    'Names the storage this instance’s recordings wait on: the spool (or, with source `ari`, the Asterisk it fetches from) and `<service.dataDir>/recordings/work`. Default: `service.instanceId`, i.e. each instance works only on the recordings it found. Instances on one PostgreSQL database with the same `spoolId` must see the same spool and work directories (shared storage, e.g. NFS): they then take over each other’s recordings. Recordings queued before the upgrade that added it have no spool: any instance may take them, and the first whose spool scan lists the file keeps them. Changing it leaves the recordings queued under the old name to instances still using it.',
  'recordings.asteriskSpoolDir': 'The monitor directory as Asterisk names it, when it is mounted under another path here.',
  'recordings.ariRecordingDir': 'Source `ari`: Asterisk’s recording directory, where the dialplan’s MixMonitor must write (absolute path).',
  'recordings.ami': 'The AMI login used to watch MixMonitor events.',
  'recordings.ami.host': 'Asterisk’s AMI host.',
  'recordings.ami.port': 'Asterisk’s AMI port.',
  'recordings.ami.username': 'AMI user from `manager.conf`.',
  'recordings.ami.secret': 'AMI secret. A secret: give it through the environment or a `_FILE`, not in the YAML file.',
  'recordings.store': 'Where encrypted recordings are kept: a local directory (default) or S3.',
  'recordings.store.type': '`local` or `s3`.',
  'recordings.store.dir': 'Local store directory. Default: `<service.dataDir>/recordings/store`.',
  'recordings.store.bucket': 'S3 bucket name.',
  'recordings.store.region': 'The bucket’s region; must be in `allowedRegions` (default: AWS regions inside the EU; checked at load and at start-up).',
  'recordings.store.endpoint': 'S3-compatible endpoint; omit for AWS.',
  'recordings.store.forcePathStyle': 'Path-style bucket addressing (most S3-compatible servers).',
  'recordings.store.allowedRegions': 'Regions the bucket may be in. Default: the EU list in src/config/regions.ts (London and Zurich only when listed here).',
  'recordings.store.sseKmsKeyId': 'KMS key for server-side encryption (SSE-KMS), on top of ConsentLine’s own envelope encryption.',
  'recordings.store.objectLock': 'S3 Object Lock for stored recordings.',
  'recordings.store.objectLock.mode': 'Object Lock mode.',
  'recordings.store.objectLock.retainDays': 'Days each recording is locked against deletion.',
  'recordings.store.requestChecksumCalculation': '`WHEN_REQUIRED` for providers that refuse the SDK’s streamed checksums (Ceph RGW).',
  'recordings.store.multipartThresholdBytes': 'Uploads larger than this go in parts.',
  'recordings.keys': 'The master key that wraps each recording’s data key.',
  'recordings.keys.mode': '`local`: a raw AES-256 key file; `rsa`: RSA-OAEP key wrapping (the capture host may hold the public key only); `kms`: AWS KMS (key in an allowed region).',
  'recordings.keys.keyFile': 'Mode `local`: key file. Default `<service.dataDir>/secrets/recording.key`, generated on first start.',
  'recordings.keys.publicKeyFile': 'Mode `rsa`: public key (PEM) used to encrypt.',
  'recordings.keys.privateKeyFile': 'Mode `rsa`: private key (PEM), only where recordings are played back.',
  'recordings.keys.keyArn': 'Mode `kms`: KMS key or alias ARN; its region must be allowed.',
  'recordings.quarantineDays': 'Days a quarantined recording (no consent, unknown call, do-not-record) is kept before deletion.',
  'recordings.doNotRecord': 'E.164 numbers never to record; only their HMAC look-up keys are used at run time.',
  'recordings.maxFileMB':
    'A recording file larger than this (MiB) is quarantined as `too_large`, never kept. 256 MiB is 4.6 hours of MixMonitor\'s 8 kHz 16-bit mono WAV. Files that are no WAV, have a broken header, or hold more audio than their call lasted (plus 30 s) are quarantined too (docs/data-protection.md).',
  'recordings.verify': '`read-back`: re-read each stored object and hash it; `head`: trust its size and SHA-256 metadata.',
  'recordings.worker': 'The upload worker.',
  'recordings.worker.concurrency': 'Recordings processed at once.',
  'recordings.worker.initialBackoffSeconds': 'First wait after a failed step.',
  'recordings.worker.maxBackoffSeconds': 'Longest wait between retries.',
  'recordings.worker.pollSeconds': 'How often the queue is polled.',
  'recordings.worker.encryptionThreads':
    'Worker threads that hash and encrypt recordings, so the main thread (calls, uploads) never waits on them. 0 encrypts on the main thread: on one 2-core host that also ran the S3 server it measured cheaper and no slower for calls, on another it was mixed and held timers up to twice as long (docs/architecture.md, Threads). One is enough for two upload workers.',
  'recordings.spoolScan': 'Periodic scan of the spool for files no event reported.',
  'recordings.spoolScan.intervalSeconds': 'Time between scans.',
  'recordings.spoolScan.settleSeconds': 'A file nobody reported is taken only once unchanged this long (MixMonitor writes while audio flows).',

  retention: 'Retention: how long each kind of data is kept, and the sweep that deletes it. Due dates are computed at sweep time from the policy in force, from each item’s capture time.',
  'retention.enabled': 'Run the sweep on `schedule`. On-demand runs work either way.',
  'retention.schedule': 'When the sweep runs: a cron expression in UTC (five or six fields).',
  'retention.default': 'The global policy; each flow may override any part with `flows[].retention`.',
  'retention.default.recordingsDays': 'Days a kept recording stays in the object store after capture.',
  'retention.default.evidenceDays': 'Days the personal data behind a call’s evidence (number, salt, look-up key, masked number) is kept after the call; the chained events are never deleted.',
  'retention.default.quarantineDays': 'Days a quarantined recording is kept. Default: `recordings.quarantineDays`.',
  'retention.batchSize': 'Recordings deleted per object-store batch (one DeleteObjects request).',
  'retention.leaseSeconds': 'The sweep’s lease in the database, renewed while it runs; a crashed sweep frees it after this long.',
  'retention.deleteAttempts': 'Attempts per object-store delete before it is reported as failed.',
  'retention.objectLock': 'How retention treats S3 Object Lock.',
  'retention.objectLock.bypassGovernanceForErasure':
    'Let erasure requests delete GOVERNANCE-locked recordings before their retain-until date (needs `s3:BypassGovernanceRetention`). Never used by the scheduled sweep; COMPLIANCE locks cannot be bypassed.',
};

import { z } from 'zod';
import { EU_REGIONS, regionRefusal } from './regions.js';
import { DEFAULTS } from './defaults.js';
import { TlsClientSchema } from './tls-schema.js';

const E164 = /^\+[1-9]\d{6,14}$/;
const absOrRel = z.string().min(1);

const AmiEndpointSchema = z.strictObject({
  host: z.string().min(1).default(DEFAULTS.amiHost),
  port: z.number().int().min(1).max(65535).default(DEFAULTS.amiPort),
  username: z.string().min(1).default(DEFAULTS.amiUser),
  /** Set by env CONSENTLINE_AMI_SECRET in production. */
  secret: z.string().min(1).optional(),
  /** AMI over TLS (manager.conf `tlsenable`, port 5039 by default): how Asterisk's certificate is checked. */
  tls: TlsClientSchema.optional(),
});

const LocalStoreSchema = z.strictObject({
  type: z.literal('local'),
  /** Default: <dataDir>/recordings/store. */
  dir: absOrRel.optional(),
});

const S3StoreSchema = z
  .strictObject({
    type: z.literal('s3'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    region: z.string().min(1),
    /** S3-compatible endpoint; omit for AWS. */
    endpoint: z.url().optional(),
    forcePathStyle: z.boolean().optional(),
    /** Regions the bucket may be in. Default: the EU list (see src/config/regions.ts). */
    allowedRegions: z.array(z.string().min(1)).min(1).optional(),
    sseKmsKeyId: z.string().min(1).optional(),
    objectLock: z
      .strictObject({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), retainDays: z.number().int().min(1).max(36500) })
      .optional(),
    /** `WHEN_REQUIRED` for providers that refuse the SDK's streamed checksums (Ceph RGW). */
    requestChecksumCalculation: z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']).optional(),
    multipartThresholdBytes: z.number().int().min(5 * 1024 * 1024).optional(),
  })
  .superRefine((s, ctx) => {
    const refusal = regionRefusal(s.region, s.allowedRegions ?? EU_REGIONS);
    if (refusal) ctx.addIssue({ code: 'custom', path: ['region'], message: refusal });
  });

const KeysSchema = z.discriminatedUnion('mode', [
  /** A raw AES-256 key file; default <dataDir>/secrets/recording.key, generated on first start. */
  z.strictObject({ mode: z.literal('local'), keyFile: absOrRel.optional() }),
  /** The capture host may hold the public key only; decrypt then needs the private key elsewhere. */
  z.strictObject({ mode: z.literal('rsa'), publicKeyFile: absOrRel, privateKeyFile: absOrRel.optional() }),
  z.strictObject({ mode: z.literal('kms'), keyArn: z.string().regex(/^arn:aws[a-z-]*:kms:/, 'must be a KMS key or alias ARN') }),
]);

/**
 * `recordings.control`: pause and resume of a call's recording (PCI) over AMI (MixMonitorMute),
 * from the API (role agent-desktop) or the dialplan (UserEvent ConsentLineRecording).
 */
export const RecordingControlSchema = z.strictObject({
  /** How long Asterisk may take to answer and publish a mute; past it the recording is stopped for the rest of the call. */
  confirmTimeoutMs: z.number().int().min(100).max(30_000).default(2_000),
  /** A pause longer than this ends per `onMaxPause` (and the ledger says so). */
  maxPauseSeconds: z.number().min(1).max(86_400).default(600),
  /** `stay_paused` (default: card data is never recorded by a forgotten resume) or `resume`. */
  onMaxPause: z.enum(['stay_paused', 'resume']).default('stay_paused'),
});

/**
 * `recordings.joiners`: parties who join a recorded call (agents from a queue, transfers,
 * conferences) hear a notice first (asterisk/extensions.conf, consentline-joiner), and an agent
 * whose monitoring notice (the agents registry) is missing or too recent is not recorded.
 */
export const JoinersSchema = z.strictObject({
  /** Days an employee must have been informed of monitoring before they are recorded (Labour Code art. 22² §7: 14). */
  employeeNoticeMinDays: z.number().int().min(0).max(365).default(14),
  /** The notice's language for a party the registry gives none (must have the joiner-notice prompt). */
  defaultLanguage: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/).default('pl'),
  /** A joining party whose notice is not reported played within this time stops the recording. */
  heardTimeoutSeconds: z.number().int().min(5).max(600).default(60),
});

const KMS_REGION = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/;

/**
 * `recordings:` in consentline.yaml. The defaults are the embedded mode: the dialplan starts
 * MixMonitor, files are read from a shared spool dir, encrypted with a local key and kept in a
 * local directory under dataDir.
 */
export const RecordingsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /**
     * `dialplan`: the dialplan starts MixMonitor behind CONSENT_RECORDING=yes (asterisk/extensions.conf).
     * `ami`: ConsentLine sends the AMI MixMonitor action when the call's recording consent is set; the
     * dialplan must then not start MixMonitor itself, and the AMI user needs `write = system`.
     */
    capture: z.enum(['dialplan', 'ami']).default('dialplan'),
    /**
     * `spool`: a directory shared with Asterisk (its monitor dir). `ari`: no shared disk; MixMonitor
     * writes into Asterisk's recording dir and ConsentLine fetches each file over ARI
     * (GET /ari/recordings/stored/{name}/file), deleting it there after a verified upload.
     */
    source: z.enum(['spool', 'ari']).default('spool'),
    spoolDir: absOrRel.default(DEFAULTS.spoolDir),
    /**
     * Names the spool and work directories this instance sees; default `service.instanceId`.
     * Instances with the same spoolId share them (shared storage) and each other's recordings;
     * with different ones, never.
     */
    spoolId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"').optional(),
    /** The monitor dir as Asterisk names it, when mounted elsewhere here. */
    asteriskSpoolDir: absOrRel.optional(),
    /** Source `ari`: Asterisk's recording dir, where the dialplan's MixMonitor must write (absolute path). */
    ariRecordingDir: absOrRel.default('/var/spool/asterisk/recording'),
    ami: AmiEndpointSchema.default({ host: DEFAULTS.amiHost, port: DEFAULTS.amiPort, username: DEFAULTS.amiUser }),
    store: z.discriminatedUnion('type', [LocalStoreSchema, S3StoreSchema]).default({ type: 'local' }),
    keys: KeysSchema.default({ mode: 'local' }),
    /** Days a quarantined recording (no consent, unknown call, do-not-record) is kept before deletion. */
    quarantineDays: z.number().int().min(0).max(365).default(7),
    /** E.164 numbers never to record. Only their HMAC look-up keys are used at run time. */
    doNotRecord: z.array(z.string().regex(E164, 'must be an E.164 number like +48600100200')).default([]),
    /** A recording file larger than this (MiB) is quarantined (`too_large`). */
    maxFileMB: z.number().int().min(1).max(65536).default(256),
    /** `read-back`: re-read the stored object and hash it (default). `head`: trust size + sha256 metadata. */
    verify: z.enum(['read-back', 'head']).default('read-back'),
    worker: z
      .strictObject({
        concurrency: z.number().int().min(1).max(16).default(2),
        initialBackoffSeconds: z.number().min(0.01).max(3600).default(2),
        maxBackoffSeconds: z.number().min(0.01).max(86400).default(300),
        pollSeconds: z.number().min(0.01).max(60).default(1),
        /**
         * Threads that encrypt recordings, beside the main thread (which handles calls and uploads).
         * 0: encrypt on the main thread.
         */
        encryptionThreads: z.number().int().min(0).max(16).default(1),
      })
      .default({ concurrency: 2, initialBackoffSeconds: 2, maxBackoffSeconds: 300, pollSeconds: 1, encryptionThreads: 1 }),
    control: RecordingControlSchema.default({ confirmTimeoutMs: 2_000, maxPauseSeconds: 600, onMaxPause: 'stay_paused' }),
    joiners: JoinersSchema.default({ employeeNoticeMinDays: 14, defaultLanguage: 'pl', heardTimeoutSeconds: 60 }),
    spoolScan: z
      .strictObject({
        intervalSeconds: z.number().min(0.05).max(3600).default(60),
        /** A file nobody reported is taken only once unchanged this long (MixMonitor writes while audio flows). */
        settleSeconds: z.number().min(0).max(86400).default(120),
      })
      .default({ intervalSeconds: 60, settleSeconds: 120 }),
  })
  .superRefine((r, ctx) => {
    if (r.keys.mode === 'kms') {
      const region = KMS_REGION.exec(r.keys.keyArn)?.[1] ?? '';
      const refusal = regionRefusal(region, r.store.type === 's3' ? (r.store.allowedRegions ?? EU_REGIONS) : EU_REGIONS);
      if (refusal) ctx.addIssue({ code: 'custom', path: ['keys', 'keyArn'], message: `KMS key: ${refusal}` });
    }
    if (r.capture === 'ami' && r.source === 'ari') {
      // The AMI MixMonitor action takes a bare name (written into the monitor dir); ARI serves only
      // the recording dir.
      ctx.addIssue({ code: 'custom', path: ['capture'], message: 'capture "ami" works with source "spool" only' });
    }
  });
export type RecordingsConfig = z.infer<typeof RecordingsConfigSchema>;

/** The parsed defaults (embedded mode). */
export const RECORDINGS_DEFAULTS: RecordingsConfig = RecordingsConfigSchema.parse({});

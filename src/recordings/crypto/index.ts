export { CryptoError, type CryptoErrorCode } from './errors.js';
export {
  createRecordingKeyring,
  kmsKeyRegion,
  parseAesKey,
  DEFAULT_KEY_NAME,
  KEY_NAMESPACE,
  type RecordingKeyConfig,
  type RecordingKeyring,
} from './keyring.js';
export {
  createRecordingEnvelope,
  type EnvelopeOptions,
  recordingContext,
  CONTEXT_PURPOSE,
  FRAME_LENGTH,
  MAX_ENCRYPTED_DATA_KEYS,
  SUITE_ID,
  type EncryptResult,
  type RecordingEnvelope,
} from './envelope.js';
export { withEncryptionThreads } from './encryption-threads.js';

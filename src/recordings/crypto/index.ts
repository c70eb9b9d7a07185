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
  type StreamedResult,
} from './envelope.js';
export { BOTH_HASHES, type Hashes } from './file-encryption.js';
export { headerBytes, messageBytes } from './message-size.js';
export type { StreamedBody } from './stream-encryption.js';
export { withEncryptionThreads } from './encryption-threads.js';

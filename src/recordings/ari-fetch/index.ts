export {
  AriRecordingsClient,
  AriFetchError,
  isValidStoredName,
  STORED_NAME_PATTERN,
  type AriErrorCode,
  type AriFetchConfig,
  type FetchedFile,
  type StoredRecordingInfo,
} from './client.js';

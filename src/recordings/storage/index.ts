export { ObjectStoreError, type ObjectStoreErrorCode } from './errors.js';
export { recordingObjectKey, assertValidKey, ID_PATTERN, KEY_PATTERN } from './keys.js';
export type { ObjectStore, PutOptions, PutResult, HeadResult, ByteRange, DeleteTarget, DeleteResult, LocationCheck, StreamPutOptions, StreamPutResult } from './port.js';
export { EU_REGIONS, regionRefusal } from './regions.js';
export { S3ObjectStore, toStoreError, type S3StoreConfig } from './s3-store.js';
export { LocalObjectStore } from './local-store.js';
export { verifyStoredObject } from './verify.js';

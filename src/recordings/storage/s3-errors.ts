import { ObjectStoreError, type ObjectStoreErrorCode } from './errors.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const AUTH_NAMES = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'RequestTimeTooSkewed']);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

function statusOf(e: AwsLikeError): number | undefined {
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

/**
 * Maps SDK errors to ObjectStoreError by name and HTTP status: Ceph RGW's error bodies carry an
 * empty <Message>, so `e.message` is useless ("UnknownError") and never decides anything.
 */
export function toStoreError(e: unknown, what: string): ObjectStoreError {
  if (e instanceof ObjectStoreError) return e;
  const err = (e ?? {}) as AwsLikeError;
  const status = statusOf(err);
  const name = err.name ?? 'Error';
  const netCode = err.code ?? (err as { cause?: { code?: string } }).cause?.code;
  let code: ObjectStoreErrorCode;
  if ((netCode && NETWORK_CODES.has(netCode)) || name === 'TimeoutError' || name === 'RequestTimeout') code = 'UNAVAILABLE';
  else if (status === undefined && !name.match(/^[A-Z]/)) code = 'UNAVAILABLE';
  else if (AUTH_NAMES.has(name) || status === 401) code = 'AUTH';
  else if (status === 403) code = 'AUTH';
  else if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) code = 'NOT_FOUND';
  else if (name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch') code = 'INTEGRITY';
  else if (status !== undefined && status >= 500) code = 'UNAVAILABLE';
  else if (status === undefined && name === 'Error') code = 'UNAVAILABLE';
  else code = 'UNKNOWN';
  const detail = [name, status && `HTTP ${status}`, netCode, err.message && err.message !== 'UnknownError' ? err.message : '']
    .filter(Boolean)
    .join(', ');
  return new ObjectStoreError(code, `${what}: ${detail}`, { cause: e, ...(status ? { status } : {}), awsCode: name });
}

export function isPreconditionFailed(e: unknown): boolean {
  const err = e as AwsLikeError;
  return err?.name === 'PreconditionFailed' || statusOf(err) === 412 || err?.name === 'ConditionalRequestConflict' || statusOf(err) === 409;
}


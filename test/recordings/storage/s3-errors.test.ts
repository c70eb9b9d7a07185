import { describe, expect, it } from 'vitest';
import { ObjectStoreError } from '../../../src/recordings/storage/errors.js';
import { isPreconditionFailed, toStoreError } from '../../../src/recordings/storage/s3-errors.js';

// The S3 adapter's pure parts, without a bucket (the RGW project covers the calls themselves).
describe('toStoreError', () => {
  const cases: [string, unknown, string][] = [
    ['a refused connection', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), 'UNAVAILABLE'],
    ['a bad signature', { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } }, 'AUTH'],
    ['a plain 403', { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }, 'AUTH'],
    ['a missing key', { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 'NOT_FOUND'],
    ['a bad digest', { name: 'BadDigest', $metadata: { httpStatusCode: 400 } }, 'INTEGRITY'],
    ['a 503', { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }, 'UNAVAILABLE'],
    ['an unknown 400', { name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } }, 'UNKNOWN'],
  ];
  it.each(cases)('maps %s', (_what, err, code) => {
    const mapped = toStoreError(err, 'put k');
    expect(mapped).toBeInstanceOf(ObjectStoreError);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(new RegExp(`^${code}: put k: `));
  });

  it('passes an ObjectStoreError through and ignores RGW\'s empty "UnknownError" message', () => {
    const own = new ObjectStoreError('LOCKED', 'x');
    expect(toStoreError(own, 'delete')).toBe(own);
    const rgw = toStoreError({ name: 'InvalidRequest', message: 'UnknownError', $metadata: { httpStatusCode: 400 } }, 'put k');
    expect(rgw.message).toBe('UNKNOWN: put k: InvalidRequest, HTTP 400');
  });

  it('knows a failed If-None-Match from other refusals', () => {
    expect(isPreconditionFailed({ name: 'PreconditionFailed' })).toBe(true);
    expect(isPreconditionFailed({ $metadata: { httpStatusCode: 409 } })).toBe(true);
    expect(isPreconditionFailed({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
  });
});

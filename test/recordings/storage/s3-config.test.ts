import { describe, expect, it } from 'vitest';
import { resolveS3Config } from '../../../src/recordings/storage/s3-config.js';

describe('resolveS3Config', () => {
  it('fills the defaults', () => {
    const c = resolveS3Config({ bucket: 'b', region: 'eu-central-1' });
    expect(c).toMatchObject({ conditionalWrites: true, multipartThresholdBytes: 64 * 2 ** 20, partSizeBytes: 16 * 2 ** 20, multipartQueueSize: 2, sha256ChecksumHeader: true });
    expect(c.allowed).toContain('eu-central-1');
  });

  it('refuses a region outside the allow-list, a missing bucket and parts under 5 MiB', () => {
    expect(() => resolveS3Config({ bucket: 'b', region: 'us-east-1' })).toThrow(expect.objectContaining({ code: 'LOCATION' }));
    expect(() => resolveS3Config({ bucket: 'b', region: 'us-east-1', allowedRegions: ['us-east-1'] })).not.toThrow();
    expect(() => resolveS3Config({ bucket: '', region: 'eu-west-1' })).toThrow(expect.objectContaining({ code: 'INVALID' }));
    expect(() => resolveS3Config({ bucket: 'b', region: 'eu-west-1', partSizeBytes: 4 * 2 ** 20 })).toThrow(expect.objectContaining({ code: 'INVALID' }));
  });
});

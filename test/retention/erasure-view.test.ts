import { describe, expect, it } from 'vitest';
import { erasureCertificateOf, erasureSummary } from '../../src/retention/erasure-view.js';

const cert = {
  type: 'consentline-erasure-certificate-v1',
  requestId: 'r1',
  issuedAt: '2026-03-01T10:00:01.000Z',
  controller: { name: 'C' },
  subject: { masked: '+48 *** *** *56' },
  erased: { callIds: ['c1', 'c2'], subjectRecords: 3, recordingIds: ['rec1'] },
  notErased: { heldCallIds: ['c6'], locked: [{ recordingId: 'rec2', retainUntil: '2027-01-01T00:00:00.000Z', detail: 'lock' }], pending: [] },
  ledger: { seq: 9, hash: 'h' },
  verifierKey: 'k',
  signature: 's',
};
const row = { id: 'r1', requested_by: 'tok-1', requested_at: '2026-03-01T10:00:00.000Z', done_at: '2026-03-01T10:00:01.000Z', certificate: JSON.stringify(cert) };

describe('erasureSummary', () => {
  it('counts what a done request erased and kept, from its certificate', () => {
    expect(erasureSummary(row)).toEqual({
      requestId: 'r1',
      requestedBy: 'tok-1',
      requestedAt: '2026-03-01T10:00:00.000Z',
      status: 'done',
      doneAt: '2026-03-01T10:00:01.000Z',
      subjectMasked: '+48 *** *** *56',
      erased: { calls: 2, recordings: 1, subjectRecords: 3 },
      notErased: { heldCallIds: ['c6'], locked: 1, pending: 0 },
    });
    expect(erasureCertificateOf(row)).toEqual(cert);
  });

  it('an open request (no certificate) or a stored text that is not a certificate shows as open, with nothing counted', () => {
    const open = erasureSummary({ ...row, done_at: null, certificate: null });
    expect(open).toMatchObject({ status: 'open', subjectMasked: null, erased: null, notErased: null });
    expect(erasureSummary({ ...row, certificate: '{not json' })).toMatchObject({ status: 'open', erased: null });
    expect(erasureCertificateOf({ ...row, certificate: '{"type":"other"}' })).toBeNull();
    expect(erasureCertificateOf({ ...row, certificate: 'null' })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/api/routes/admin-config.js';
import { decodeCursor, encodeCursor } from '../../src/api/routes/evidence-deps.js';
import { checkpointText, loadOrCreateSigner, parseCheckpointText, parseVerifierKey, signNote, openNote } from '../../src/evidence/checkpoint.js';
import { buildConsentReceipt } from '../../src/evidence/receipt.js';
import { FULL_CONTROLLER } from './evidence-helpers.js';
import { expectValidKantara } from './kantara-schema.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('cursors', () => {
  it('round-trip and refuse anything the API did not hand out', () => {
    const c = { startedAt: '2026-03-01T09:00:00.000Z', callId: '6f1c2a34-0000-4000-8000-000000000001' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'x', '!!!', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["2026-03-01T09:00:00.000Z","a b"]').toString('base64url'), 'a'.repeat(601)]) {
      expect(decodeCursor(bad), bad.slice(0, 20)).toBeNull();
    }
  });
});

describe('config redaction', () => {
  it('replaces every secret-named value at any depth and keeps the rest', () => {
    expect(
      redactSecrets({ ari: { url: 'http://x', password: 'p' }, evidence: { pepper: 'q' }, recordings: [{ accessKeyId: 'AK', secretAccessKey: 'S', bucket: 'b' }], api: { port: 1 } }),
    ).toEqual({ ari: { url: 'http://x', password: '[redacted]' }, evidence: { pepper: '[redacted]' }, recordings: [{ accessKeyId: '[redacted]', secretAccessKey: '[redacted]', bucket: 'b' }], api: { port: 1 } });
  });

  it('never lists the do-not-record numbers: personal data, shown as a count', () => {
    const out = JSON.stringify(redactSecrets({ recordings: { doNotRecord: ['+48600100200', '+48600100201'], spoolDir: '/x' } }));
    expect(out).not.toContain('600100');
    expect(out).toContain('[2 number(s) redacted]');
  });
});

describe('signed notes', () => {
  it('keeps the key 0600, signs and opens a checkpoint, refuses malformed notes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'consentline-key-'));
    try {
      const path = join(dir, 'secrets', 'k.pem');
      const { signer, created } = loadOrCreateSigner(path, 'example.org/log');
      expect(created).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(loadOrCreateSigner(path, 'example.org/log').signer.verifierKey).toBe(signer.verifierKey);
      const text = checkpointText('example.org/log', 5, Buffer.alloc(32, 7));
      const note = signNote(text, signer);
      const v = parseVerifierKey(signer.verifierKey)!;
      expect(openNote(note, v)).toEqual({ ok: true, text });
      expect(parseCheckpointText(text)).toEqual({ origin: 'example.org/log', treeSize: 5, rootHash: Buffer.alloc(32, 7) });
      expect(openNote(note.replace('\n5\n', '\n6\n'), v)).toEqual({ ok: false, reason: 'bad_signature' });
      expect(openNote('no blank line\n', v)).toEqual({ ok: false, reason: 'malformed' });
      expect(parseVerifierKey(signer.verifierKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toBeNull();
      expect(() => loadOrCreateSigner(join(dir, 'x.pem'), 'has space')).toThrow(/no spaces/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('consent receipt', () => {
  const ev = (seq: number, kind: StoredEvent['kind'], data: StoredEvent['data']): StoredEvent => ({
    seq,
    callId: 'c',
    at: `2026-03-01T09:00:0${seq}.000Z`,
    kind,
    data,
    prevHash: '0'.repeat(64),
    hash: String(seq).repeat(64).slice(0, 64),
  });
  it('names the legal basis for legitimate interest instead of a consent type, and is stable', () => {
    const events = [
      ev(1, 'call.started', { legalBasis: 'legitimate_interest', flowId: 'main', lang: 'en', caller: 'ab'.repeat(32) }),
      ev(2, 'prompt.played', { promptId: 'notice', version: '7', audioSha256: 'cd'.repeat(32), playback: 'completed', step: 'notice' }),
      ev(3, 'consent.recording', { decision: 'granted', legalBasis: 'legitimate_interest', how: 'conduct' }),
    ];
    const controller = { ...FULL_CONTROLLER, name: 'ACME' };
    const r = buildConsentReceipt('c', events, null, controller)!;
    expectValidKantara(r);
    expect(r.services[0]!.purposes[0]).toMatchObject({ consentType: 'GDPR Art. 6(1)(f) legitimate interest' });
    expect(r['x-consentline'].decisions[0]).toMatchObject({ decision: 'granted', processingAuthorised: true });
    expect(r).toMatchObject({ consentTimestamp: Date.parse('2026-03-01T09:00:03.000Z') / 1000, language: 'en', piiPrincipalId: 'ab'.repeat(32), 'x-consentline': { notice: { version: '7', heardInFull: true } } });
    expect(r['x-consentline'].evidence).toEqual({ callId: 'c', eventSeq: 3, eventHash: events[2]!.hash });
    expect(buildConsentReceipt('c', events, null, controller)!.consentReceiptID).toBe(r.consentReceiptID);
    expect(buildConsentReceipt('c', events.slice(1), null, controller)).toBeNull();
  });
});

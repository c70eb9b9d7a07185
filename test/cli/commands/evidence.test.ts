import { describe, expect, it } from 'vitest';
import { createSubject } from '../../../src/evidence/subject.js';
import { callOpen, openTestStore, tempDbPath } from '../../evidence/helpers.js';
import { cli } from '../helpers.js';

describe('consentline evidence <call-id>', () => {
  it("prints the call and its timeline with the masked number only", async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    const subject = createSubject('+48600123456', 'pepper');
    const started = await store.append(
      { callId: 'c1', kind: 'call.started', data: { commitment: subject.commitment, flowId: 'main' } },
      { subject, callOpen: callOpen('c1') },
    );
    await store.append({ callId: 'other', kind: 'call.started', data: {} });
    await store.append({ callId: 'c1', kind: 'prompt.played', data: { promptId: 'notice', version: 3, e164: '+48600123456' } });
    await store.append({ callId: 'c1', kind: 'call.continued', data: {} }, { callPatch: { outcome: 'continued', recording: 'yes' } });
    await store.close();

    const r = await cli(['evidence', 'c1', '--db', path]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('caller      +48 *** *** *56');
    expect(r.out).toContain('outcome     continued');
    expect(r.out).not.toContain('600123456');
    expect(r.out).not.toContain(subject.lookupKey);
    const lines = r.out.split('\n').filter((l) => /^\s+\d+\s+2026-/.test(l));
    expect(lines.map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      ['1', started.at, 'call.started'],
      ['3', expect.any(String), 'prompt.played'],
      ['4', expect.any(String), 'call.continued'],
    ]);
    expect(lines[0]).toContain(started.hash.slice(0, 12));
    expect(lines[0]).toContain(`commitment=${subject.commitment.slice(0, 23)}…`);
    expect(lines[1]).toContain('e164=[redacted] promptId=notice version=3');
    expect(r.out).toContain('3 events');
  });

  it('exits 1 for an unknown call and 2 without a call id', async () => {
    const path = tempDbPath();
    await (await openTestStore(path)).close();
    const r = await cli(['evidence', 'nope', '--db', path]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('no evidence for call nope');
    expect((await cli(['evidence', '--db', path])).code).toBe(2);
  });
});

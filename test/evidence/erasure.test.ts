import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSubject } from '../../src/evidence/subject.js';
import { callOpen, openTestStore, tempDbPath } from './helpers.js';

describe('subject erasure', () => {
  it('removes the number, salt and caller keys; the chain still verifies', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    const subject = createSubject('+48600123456', 'pepper');
    const started = await store.append(
      { callId: 'c1', kind: 'call.started', data: { commitment: subject.commitment } },
      { subject, callOpen: callOpen('c1') },
    );
    await store.append({ callId: 'c1', kind: 'call.continued', data: {} }, { callPatch: { outcome: 'continued' } });
    await store.append({ callId: 'c1', kind: 'erasure.done', data: { commitment: subject.commitment } });

    expect(await store.eraseSubject(subject.commitment)).toBe(true);
    expect(await store.eraseSubject(subject.commitment)).toBe(false);

    expect(await store.subjectByCommitment(subject.commitment)).toBeNull();
    expect(await store.getCall('c1')).toMatchObject({ callerLookup: null, callerMasked: null, outcome: 'continued' });
    expect((await store.callEvents('c1'))[0]).toEqual(started);
    expect(await store.verify()).toMatchObject({ ok: true, checked: 3 });

    await store.close();
    const db = new Database(path, { readonly: true });
    const file = db.prepare("SELECT count(*) FROM subjects").pluck().get();
    expect(file).toBe(0);
    db.close();
  });
});

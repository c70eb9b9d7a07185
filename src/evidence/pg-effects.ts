import type pg from 'pg';
import type { PreparedAppend } from './prepare.js';

// The projection writes (subjects, calls) an append carries, on PostgreSQL; PgEvidenceStore runs them in the batch's transaction.

const OPEN_CALL = `INSERT INTO calls (call_id, started_at, flow_id, did, caller_lookup, caller_masked, language, legal_basis, server)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
const PATCH_CALL = `UPDATE calls SET
  outcome = CASE WHEN $2::boolean THEN $3 ELSE outcome END,
  recording = CASE WHEN $4::boolean THEN $5 ELSE recording END,
  marketing = CASE WHEN $6::boolean THEN $7 ELSE marketing END,
  ended_at = CASE WHEN $8::boolean THEN $9 ELSE ended_at END,
  language = CASE WHEN $10::boolean THEN $11 ELSE language END
  WHERE call_id = $1`;

/** The side writes of one append, in the order SqliteBatchWriter applies them. */
export async function applyEffects(c: pg.PoolClient, it: PreparedAppend): Promise<void> {
  const { subject, callOpen, callPatch } = it.effects;
  if (subject) {
    await c.query('INSERT INTO subjects (commitment, lookup_key, masked, e164, salt, call_id) VALUES ($1, $2, $3, $4, $5, $6)', [
      subject.commitment,
      subject.lookupKey,
      subject.masked,
      subject.e164,
      subject.salt,
      it.callId,
    ]);
  }
  if (callOpen) {
    await c.query(OPEN_CALL, [
      callOpen.callId,
      callOpen.startedAt,
      callOpen.flowId,
      callOpen.did,
      subject?.lookupKey ?? null,
      subject?.masked ?? null,
      callOpen.language,
      callOpen.legalBasis,
      callOpen.server,
    ]);
  } else if (subject) {
    await c.query('UPDATE calls SET caller_lookup = $1, caller_masked = $2 WHERE call_id = $3', [subject.lookupKey, subject.masked, it.callId]);
  }
  if (callPatch) {
    const set = (v: unknown): boolean => v !== undefined;
    await c.query(PATCH_CALL, [
      it.callId,
      set(callPatch.outcome),
      callPatch.outcome ?? null,
      set(callPatch.recording),
      callPatch.recording ?? null,
      set(callPatch.marketing),
      callPatch.marketing ?? null,
      set(callPatch.endedAt),
      callPatch.endedAt ?? null,
      set(callPatch.language),
      callPatch.language ?? null,
    ]);
  }
}

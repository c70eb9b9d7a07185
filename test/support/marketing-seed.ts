import { createSubject } from '../../src/evidence/subject.js';
import type { EvidenceWriter } from '../../src/evidence/store.js';
import type { StoredEvent } from '../../src/evidence/types.js';

/** What a flow with a marketing question writes: call.started (with its subject), the question, the answer. */
export async function appendMarketingCall(
  writer: EvidenceWriter,
  c: { callId: string; number: string | null; decision: 'yes' | 'no' | 'none'; at: string; pepper: string; promptVersion?: string; lang?: string },
): Promise<StoredEvent> {
  const subject = c.number ? createSubject(c.number, c.pepper) : null;
  const lang = c.lang ?? 'pl';
  const at = (ms: number) => new Date(Date.parse(c.at) + ms).toISOString();
  await writer.append(
    { callId: c.callId, kind: 'call.started', at: c.at, data: { flowId: 'main', legalBasis: 'consent_by_conduct', did: '+48221234567', lang, caller: subject?.commitment ?? null } },
    { ...(subject ? { subject } : {}), callOpen: { callId: c.callId, startedAt: c.at, flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: lang } },
  );
  await writer.append({
    callId: c.callId,
    kind: 'prompt.played',
    at: at(1000),
    data: { promptId: 'marketing-consent', lang, version: c.promptVersion ?? '2', audioSha256: 'cd'.repeat(32), playbackId: `${c.callId}-m`, startedAt: at(500), endedAt: at(1000), playback: 'completed', step: 'marketing' },
  });
  return writer.append({
    callId: c.callId,
    kind: 'consent.marketing',
    at: at(2000),
    data: { decision: c.decision, controller: 'Example Controller Sp. z o.o.', channels: ['phone', 'sms'], digit: c.decision === 'yes' ? '1' : c.decision === 'no' ? '2' : null, lang },
  });
}

/** A withdrawal the DPO recorded (letter or e-mail): the event names the caller by a fresh subject. */
export async function appendWithdrawal(
  writer: EvidenceWriter,
  w: { number: string; consent: 'marketing' | 'recording'; channel: string; reference: string; at: string; pepper: string },
): Promise<StoredEvent> {
  const subject = createSubject(w.number, w.pepper);
  return writer.append(
    { callId: null, kind: 'consent.withdrawn', at: w.at, data: { consent: w.consent, channel: w.channel, reference: w.reference, subject: subject.commitment } },
    { subject },
  );
}

import { randomUUID } from 'node:crypto';
import type { Accessor } from '../evidence/access-log.js';
import type { EvidenceStore } from '../evidence/store.js';
import { createSubject } from '../evidence/subject.js';
import type { JsonValue } from '../evidence/types.js';
import type { Clock } from '../shared/clock.js';
import type { RetentionRepo } from './repo.js';

export const WITHDRAWN_CONSENTS = ['marketing', 'recording'] as const;
export const WITHDRAWAL_CHANNELS = ['letter', 'email'] as const;

export interface WithdrawalRequest {
  readonly e164: string;
  readonly consent: (typeof WITHDRAWN_CONSENTS)[number];
  /** How the withdrawal reached the controller. */
  readonly channel: (typeof WITHDRAWAL_CHANNELS)[number];
  /** The letter's or e-mail's reference (case number, message id): how to find the original. */
  readonly reference: string;
  readonly by: Accessor;
}

/** What a recording-consent withdrawal does to the caller's recordings. */
export interface RecordingConsequences {
  /** The erasure request opened for the consent-based recordings (null: there were none). */
  readonly erasureRequestId: string | null;
  /** Recordings made on consent (by conduct or explicit): marked for erasure, deleted by the next retention run. */
  readonly toErase: readonly string[];
  /** Recordings kept on legitimate interest: not erased; the withdrawal counts as an objection (Art. 21) for the DPO to weigh. */
  readonly objection: readonly string[];
  /** Calls under a legal hold: their recordings stay until the hold is released. */
  readonly heldCalls: readonly string[];
}

export interface WithdrawalResult {
  readonly seq: number;
  readonly at: string;
  readonly consent: WithdrawalRequest['consent'];
  readonly recordings?: RecordingConsequences;
}

const MAX_LISTED = 1_000;

/**
 * Withdrawals the DPO records from a letter or an e-mail (Art. 7(3) GDPR). Each is a
 * `consent.withdrawn` event naming the caller by a fresh subject (commitment in the chain, the
 * number in `subjects`), so the marketing registry's trigger changes the caller's state in the
 * same transaction. A withdrawn recording consent also opens an erasure request for the caller's
 * recordings made on consent; those kept on legitimate interest are listed as an objection.
 */
export class ConsentWithdrawals {
  constructor(
    private readonly d: {
      readonly repo: RetentionRepo;
      readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
      readonly pepper: string;
      readonly clock: Clock;
    },
  ) {}

  async record(w: WithdrawalRequest): Promise<WithdrawalResult> {
    const subject = createSubject(w.e164, this.d.pepper);
    const now = this.d.clock.now();
    const recordings = w.consent === 'recording' ? await this.#recordingConsequences(subject.lookupKey) : undefined;
    const data: { [k: string]: JsonValue } = {
      consent: w.consent,
      channel: w.channel,
      reference: w.reference,
      subject: subject.commitment,
      recordedBy: { tokenId: w.by.tokenId, tokenName: w.by.tokenName, role: w.by.role },
    };
    if (recordings) {
      data.erasureRequestId = recordings.plan.erasureRequestId;
      data.toErase = recordings.plan.toErase.slice(0, MAX_LISTED);
      data.objection = recordings.plan.objection.slice(0, MAX_LISTED);
      data.heldCalls = recordings.plan.heldCalls.slice(0, MAX_LISTED);
    }
    // The withdrawal is evidence first; the erasure it opens follows it.
    const event = await this.d.evidence.append({ callId: null, kind: 'consent.withdrawn', at: new Date(now).toISOString(), data }, { subject });
    if (recordings?.plan.erasureRequestId) {
      const id = recordings.plan.erasureRequestId;
      await this.d.repo.insertErasure(id, w.by.tokenId, event.at);
      await this.d.repo.markPendingErasure(recordings.items, id, `recording consent withdrawn (${w.channel} ${w.reference})`.slice(0, 300), now);
    }
    return { seq: event.seq, at: event.at, consent: w.consent, ...(recordings ? { recordings: recordings.plan } : {}) };
  }

  async #recordingConsequences(key: string) {
    const calls = await this.d.repo.callsOfCaller(key);
    const heldCalls = calls.filter((c) => c.held).map((c) => c.call_id);
    const free = calls.filter((c) => !c.held).map((c) => c.call_id);
    const basis = new Map<string, string>();
    for (const id of free) basis.set(id, (await this.d.evidence.getCall(id))?.legalBasis ?? 'unknown');
    const recs = (await this.d.repo.recordingsOfCalls(free)).filter((r) => r.state !== 'deleted');
    const onInterest = (callId: string) => basis.get(callId) === 'legitimate_interest';
    const items = recs.filter((r) => !onInterest(r.call_id)).map((r) => ({ id: r.id, call_id: r.call_id, object_key: r.object_key, version_id: r.version_id }));
    const plan: RecordingConsequences = {
      erasureRequestId: items.length ? randomUUID() : null,
      toErase: items.map((r) => r.id),
      objection: recs.filter((r) => onInterest(r.call_id)).map((r) => r.id),
      heldCalls,
    };
    return { plan, items };
  }
}

import { randomUUID } from 'node:crypto';
import type { Accessor } from '../evidence/access-log.js';
import type { EvidenceStore } from '../evidence/store.js';
import { createSubject } from '../evidence/subject.js';
import type { JsonValue } from '../evidence/types.js';
import type { Clock } from '../shared/clock.js';
import type { MarketingRegistryRepo } from '../evidence/marketing-rows.js';
import type { PendingErasure, RetentionRepo } from './repo.js';

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

/** A withdrawal the caller made by key in call `callId`; the call's subject names the caller. */
export interface PhoneWithdrawalRequest {
  readonly callId: string;
  readonly lookupKey: string;
  readonly consent: (typeof WITHDRAWN_CONSENTS)[number];
  readonly digit: string;
}

/** What a number has on file, as the withdrawal line tells it (telephony's ConsentsOnFile). */
export interface OnFile {
  readonly marketing: { readonly since: string; readonly controller: string | null; readonly channels: readonly string[] } | null;
  readonly recordings: { readonly onConsent: number; readonly onInterest: number };
}

export interface WithdrawalResult {
  readonly seq: number;
  readonly at: string;
  readonly consent: WithdrawalRequest['consent'];
  readonly recordings?: RecordingConsequences;
}

const MAX_LISTED = 1_000;

interface Consequences {
  readonly plan: RecordingConsequences;
  readonly items: readonly PendingErasure[];
}

/** The consequences as the event lists them (capped). */
function listed(plan: RecordingConsequences | undefined): { [k: string]: JsonValue } {
  if (!plan) return {};
  return {
    erasureRequestId: plan.erasureRequestId,
    toErase: plan.toErase.slice(0, MAX_LISTED),
    objection: plan.objection.slice(0, MAX_LISTED),
    heldCalls: plan.heldCalls.slice(0, MAX_LISTED),
  };
}

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
      /** The marketing registry, for what a caller has on file (the withdrawal line). */
      readonly marketing?: Pick<MarketingRegistryRepo, 'lookup'>;
    },
  ) {}

  /** The marketing consent in force and the stored recordings of past calls of the number behind `lookupKey`. */
  async onFile(lookupKey: string): Promise<OnFile> {
    if (!this.d.marketing) throw new Error('the withdrawal line needs the marketing registry');
    const entry = (await this.d.marketing.lookup([lookupKey])).get(lookupKey);
    const { plan } = await this.#recordingConsequences(lookupKey);
    return {
      marketing: entry?.state === 'given' ? { since: entry.since, controller: entry.controller, channels: entry.channels ?? [] } : null,
      recordings: { onConsent: plan.toErase.length, onInterest: plan.objection.length },
    };
  }

  /**
   * A withdrawal made by key in a call: `consent.withdrawn` in that call (no subject of its own:
   * the registry's trigger finds the caller through the call's subject), with the same effects
   * as one received by letter.
   */
  async recordByPhone(w: PhoneWithdrawalRequest): Promise<WithdrawalResult> {
    const recordings = w.consent === 'recording' ? await this.#recordingConsequences(w.lookupKey) : undefined;
    const data: { [k: string]: JsonValue } = { consent: w.consent, channel: 'phone', how: 'dtmf', digit: w.digit, ...listed(recordings?.plan) };
    const event = await this.d.evidence.append({ callId: w.callId, kind: 'consent.withdrawn', at: new Date(this.d.clock.now()).toISOString(), data });
    await this.#openErasure(recordings, `call:${w.callId}`, event.at, `recording consent withdrawn (phone, call ${w.callId})`);
    return { seq: event.seq, at: event.at, consent: w.consent, ...(recordings ? { recordings: recordings.plan } : {}) };
  }

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
    Object.assign(data, listed(recordings?.plan));
    const event = await this.d.evidence.append({ callId: null, kind: 'consent.withdrawn', at: new Date(now).toISOString(), data }, { subject });
    await this.#openErasure(recordings, w.by.tokenId, event.at, `recording consent withdrawn (${w.channel} ${w.reference})`);
    return { seq: event.seq, at: event.at, consent: w.consent, ...(recordings ? { recordings: recordings.plan } : {}) };
  }

  /** The withdrawal is evidence first; the erasure request it opens follows it. */
  async #openErasure(recordings: Consequences | undefined, by: string, at: string, detail: string): Promise<void> {
    const id = recordings?.plan.erasureRequestId;
    if (!recordings || !id) return;
    await this.d.repo.insertErasure(id, by, at);
    await this.d.repo.markPendingErasure(recordings.items, id, detail.slice(0, 300), this.d.clock.now());
  }

  async #recordingConsequences(key: string): Promise<Consequences> {
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

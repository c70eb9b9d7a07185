import { randomUUID } from 'node:crypto';
import type { Accessor } from '../evidence/access-log.js';
import type { EvidenceStore } from '../evidence/store.js';
import { lookupKey } from '../evidence/subject.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { UnknownHoldTargetError } from './hold-errors.js';
import type { HoldRow, HoldScope, Person, RetentionRepo } from './repo.js';

/** A hold as the API and CLI show it: a caller hold never shows its look-up key. */
export interface HoldView {
  readonly id: string;
  readonly scope: HoldScope;
  readonly callId?: string;
  readonly flowId?: string;
  readonly reason: string;
  readonly setBy: { readonly tokenId: string; readonly name: string };
  readonly setAt: string;
  readonly active: boolean;
  readonly releaseRequested: { readonly tokenId: string; readonly name: string; readonly at: string; readonly reason: string | null } | null;
  readonly released: { readonly tokenId: string; readonly name: string; readonly at: string } | null;
}

const person = (by: Accessor): Person => ({ id: by.tokenId, name: by.tokenName, ...(by.subject === undefined ? {} : { subject: by.subject }) });

export function holdView(h: HoldRow): HoldView {
  return {
    id: h.id,
    scope: h.scope,
    ...(h.scope === 'call' ? { callId: h.target } : {}),
    ...(h.scope === 'flow' ? { flowId: h.target } : {}),
    reason: h.reason,
    setBy: { tokenId: h.set_by, name: h.set_by_name },
    setAt: h.set_at,
    active: h.released_at === null,
    releaseRequested: h.release_requested_by
      ? { tokenId: h.release_requested_by, name: h.release_requested_by_name ?? '', at: h.release_requested_at ?? '', reason: h.release_reason }
      : null,
    released: h.released_by ? { tokenId: h.released_by, name: h.released_by_name ?? '', at: h.released_at ?? '' } : null,
  };
}

export type HoldTarget = { readonly scope: 'call'; readonly callId: string } | { readonly scope: 'caller'; readonly e164: string } | { readonly scope: 'flow'; readonly flowId: string };

export type ReleaseResult =
  | { readonly status: 'requested'; readonly hold: HoldView }
  | { readonly status: 'released'; readonly hold: HoldView; readonly seq: number }
  | { readonly status: 'not_found' }
  | { readonly status: 'not_active'; readonly hold: HoldView }
  /** The approving token is the one that asked: four eyes need a second DPO. */
  | { readonly status: 'same_person'; readonly hold: HoldView; readonly person: string };

export interface HoldDeps {
  readonly repo: RetentionRepo;
  readonly evidence: Pick<EvidenceStore, 'append'>;
  readonly pepper: string;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Sets a legal hold on a call, a caller or a flow; the ledger event comes first. */
export async function setHold(d: HoldDeps, target: HoldTarget, reason: string, by: Accessor): Promise<HoldView> {
  const id = randomUUID();
  const scopeTarget = target.scope === 'call' ? target.callId : target.scope === 'flow' ? target.flowId : lookupKey(d.pepper, target.e164);
  const at = new Date(d.clock.now()).toISOString();
  const covered = await d.repo.callsCoveredBy(target.scope, scopeTarget);
  if (target.scope === 'call' && covered.length === 0) throw new UnknownHoldTargetError(target.callId);
  // The ledger first: a hold that is not in the evidence does not exist.
  await d.evidence.append({
    callId: target.scope === 'call' ? target.callId : null,
    kind: 'hold.set',
    at,
    data: {
      holdId: id,
      scope: target.scope,
      ...(target.scope === 'call' ? { targetCallId: target.callId } : {}),
      ...(target.scope === 'flow' ? { flowId: target.flowId } : {}),
      callIds: covered,
      reason,
      setBy: by.tokenId,
      setByName: by.tokenName,
    },
  });
  await d.repo.insertHold({ id, scope: target.scope, target: scopeTarget, reason, set_by: by.tokenId, set_by_name: by.tokenName, set_at: at });
  d.log.info({ holdId: id, scope: target.scope, calls: covered.length }, 'legal hold set');
  return holdView((await d.repo.hold(id))!);
}

/**
 * Releasing a hold takes two DPO tokens: the first call asks, a second call by a different
 * token approves; the same token twice is refused. The release goes into the ledger.
 */
export async function releaseHold(d: HoldDeps, id: string, by: Accessor, reason: string | null): Promise<ReleaseResult> {
  const h = await d.repo.hold(id);
  if (!h) return { status: 'not_found' };
  if (h.released_at !== null) return { status: 'not_active', hold: holdView(h) };
  const now = new Date(d.clock.now()).toISOString();
  if (h.release_requested_by === null) {
    if (!(await d.repo.requestRelease(id, person(by), reason, now))) return releaseHold(d, id, by, reason);
    d.log.info({ holdId: id, tokenId: by.tokenId }, 'legal hold release requested; waiting for a second DPO');
    return { status: 'requested', hold: holdView((await d.repo.hold(id))!) };
  }
  // Four eyes are two persons: a second token of the one who asked does not count.
  const asker = h.release_requested_subject ?? null;
  if (h.release_requested_by === by.tokenId || (asker !== null && asker === (by.subject ?? by.tokenId))) {
    return { status: 'same_person', hold: holdView(h), person: asker ?? h.release_requested_by_name ?? h.release_requested_by };
  }
  const ev = await d.evidence.append({
    callId: h.scope === 'call' ? h.target : null,
    kind: 'hold.released',
    at: now,
    data: {
      holdId: id,
      scope: h.scope,
      ...(h.scope === 'call' ? { targetCallId: h.target } : {}),
      ...(h.scope === 'flow' ? { flowId: h.target } : {}),
      requestedBy: h.release_requested_by,
      requestedByName: h.release_requested_by_name ?? '',
      ...(asker === null ? {} : { requestedBySubject: asker }),
      requestedAt: h.release_requested_at ?? '',
      approvedBy: by.tokenId,
      approvedByName: by.tokenName,
      ...(by.subject === undefined ? {} : { approvedBySubject: by.subject }),
      reason: h.release_reason ?? reason ?? '',
    },
  });
  if (!(await d.repo.approveRelease(id, person(by), now))) {
    // Raced with another approval: the ledger event stands for the one release that happened.
    return { status: 'not_active', hold: holdView((await d.repo.hold(id))!) };
  }
  d.log.info({ holdId: id, requestedBy: h.release_requested_by, approvedBy: by.tokenId }, 'legal hold released');
  return { status: 'released', hold: holdView((await d.repo.hold(id))!), seq: ev.seq };
}

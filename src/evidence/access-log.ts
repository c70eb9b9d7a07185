import type { EvidenceWriter } from './store.js';
import type { JsonValue, StoredEvent } from './types.js';

/** Who read: the API token's identity (never the token). */
export interface Accessor {
  readonly tokenId: string;
  readonly tokenName: string;
  readonly role: string;
  /** The person the token was issued to; four eyes compares these (tokens without one: by token id). */
  readonly subject?: string;
}

export interface AccessRecord {
  readonly who: Accessor;
  /** The route pattern and method, e.g. `GET /calls/:callId/timeline`. */
  readonly route: string;
  /** Calls whose data was read (a search logs the calls it returned). */
  readonly callIds: readonly string[];
  /** Names of the filters a search used (`callerNumber`, `did`…), never their values. */
  readonly criteria?: readonly string[];
  /** Event seqs read, where the read was by seq. */
  readonly seqs?: readonly number[];
  /** Why, as the reader gave it. */
  readonly reason?: string;
  /** Recordings read (listed or played), by their own ids. */
  readonly recordingIds?: readonly string[];
  /** For a playback: the plaintext bytes served, as `bytes a-b/n` (the whole recording is `bytes 0-(n-1)/n`). */
  readonly range?: string;
  /** For a bulk look-up (marketing consents): how many numbers were asked about, never which. */
  readonly count?: number;
  /** For a bulk look-up: the purpose the caller declared (e.g. the campaign). */
  readonly purpose?: string;
}

const MAX_IDS = 1_000;

/**
 * Writes every read of personal data to the ledger as an `access.logged` event, durably,
 * before the data is served. The event has no call id (it would otherwise join the call's
 * own evidence and change its timeline and bundles); the calls read are listed in `callIds`.
 * Only identifiers go in: no caller number, no look-up key (the ledger cannot be erased,
 * a peppered hash of a number is still personal data), no token.
 */
export class AccessLog {
  readonly #writer: EvidenceWriter;

  constructor(writer: EvidenceWriter) {
    this.#writer = writer;
  }

  record(r: AccessRecord): Promise<StoredEvent> {
    const data: { [k: string]: JsonValue } = {
      tokenId: r.who.tokenId,
      tokenName: r.who.tokenName,
      role: r.who.role,
      route: r.route,
      callIds: r.callIds.slice(0, MAX_IDS),
    };
    if (r.callIds.length > MAX_IDS) data.callIdsOmitted = r.callIds.length - MAX_IDS;
    if (r.criteria) data.criteria = [...r.criteria];
    if (r.seqs) data.seqs = r.seqs.slice(0, MAX_IDS);
    if (r.recordingIds) data.recordingIds = r.recordingIds.slice(0, MAX_IDS);
    if (r.range !== undefined) data.range = r.range;
    if (r.reason !== undefined) data.reason = r.reason;
    if (r.count !== undefined) data.count = r.count;
    if (r.purpose !== undefined) data.purpose = r.purpose;
    return this.#writer.append({ callId: null, kind: 'access.logged', data });
  }
}

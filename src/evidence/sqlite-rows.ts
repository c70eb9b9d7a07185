import type { CallSummary, EventKind, JsonValue, StoredEvent, SubjectRecord } from './types.js';

export interface EventRow {
  seq: number;
  call_id: string | null;
  at: string;
  kind: string;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface CallRow {
  call_id: string;
  started_at: string;
  flow_id: string;
  did: string;
  caller_lookup: string | null;
  caller_masked: string | null;
  language: string | null;
  legal_basis: string;
  outcome: string | null;
  recording: string | null;
  marketing: string | null;
  ended_at: string | null;
  server: string | null;
}

export interface SubjectRow {
  commitment: string;
  lookup_key: string;
  masked: string;
  e164: string;
  salt: string;
}

export const EVENT_COLUMNS = 'seq, call_id, at, kind, data, prev_hash, hash';

// Rows are read back as stored, without validation: verification, not parsing, is what
// tells whether they were tampered with.
export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    callId: row.call_id,
    at: row.at,
    kind: row.kind as EventKind,
    data: parseData(row.data),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function parseData(text: string): { [k: string]: JsonValue } {
  try {
    return JSON.parse(text) as { [k: string]: JsonValue };
  } catch {
    // Bytes edited past the json_valid check: keep them so the hash check fails, not the read.
    return { unparseable: text };
  }
}

export function toCallSummary(row: CallRow): CallSummary {
  return {
    callId: row.call_id,
    startedAt: row.started_at,
    flowId: row.flow_id,
    did: row.did,
    callerLookup: row.caller_lookup,
    callerMasked: row.caller_masked,
    language: row.language,
    legalBasis: row.legal_basis,
    outcome: row.outcome as CallSummary['outcome'],
    recording: row.recording as CallSummary['recording'],
    marketing: row.marketing as CallSummary['marketing'],
    endedAt: row.ended_at,
    server: row.server,
  };
}

export function toSubject(row: SubjectRow): SubjectRecord {
  return { commitment: row.commitment, lookupKey: row.lookup_key, masked: row.masked, e164: row.e164, salt: row.salt };
}

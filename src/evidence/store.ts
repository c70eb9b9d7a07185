import type { CallSummary, NewEvent, StoredEvent, SubjectRecord, VerifyResult } from './types.js';

/** Fields known when a call opens; the rest of {@link CallSummary} fills in as it goes. */
export type CallOpen = Pick<CallSummary, 'callId' | 'startedAt' | 'flowId' | 'did' | 'legalBasis' | 'server'> & {
  readonly language: string | null;
};

export type CallPatch = Partial<Pick<CallSummary, 'outcome' | 'recording' | 'marketing' | 'endedAt' | 'language'>>;

/** Side writes that must commit atomically with the event they belong to. */
export interface AppendEffects {
  readonly subject?: SubjectRecord;
  readonly callOpen?: CallOpen;
  readonly callPatch?: CallPatch;
}

/** The write side the call flow depends on. */
export interface EvidenceWriter {
  /**
   * Appends one event to the chain and resolves only when it is durable (committed with
   * fsync). Concurrent appends are group-committed into one transaction.
   */
  append(event: NewEvent, effects?: AppendEffects): Promise<StoredEvent>;
}

export interface EventRange {
  readonly fromSeq?: number;
  readonly toSeq?: number;
}

/**
 * The evidence store: an async interface so that SQLite (embedded default) and
 * PostgreSQL (several instances) implement the same contract.
 */
export interface EvidenceStore extends EvidenceWriter {
  callEvents(callId: string): Promise<StoredEvent[]>;
  getCall(callId: string): Promise<CallSummary | null>;
  /** Events in seq order, streamed in pages. */
  events(range?: EventRange): AsyncIterable<StoredEvent>;
  head(): Promise<{ seq: number; hash: string } | null>;
  verify(range?: EventRange): Promise<VerifyResult>;
  subjectByCommitment(commitment: string): Promise<SubjectRecord | null>;
  close(): Promise<void>;
}

import type { CallSummary, JsonValue, StoredEvent } from './types.js';

/*
 * What a call's evidence says about each purpose, shared by the Kantara receipt and the
 * ISO/IEC TS 27560 record: pure, from the events alone (the summary only fills gaps).
 */

/** The postal address of the controller, as Kantara's `address` object and 27560's party address. */
export interface ControllerAddress {
  readonly streetAddress: string;
  readonly locality: string;
  readonly region?: string | undefined;
  readonly postalCode: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  readonly postOfficeBoxNumber?: string | undefined;
}

/** The `controller` section of the configuration. */
export interface ReceiptController {
  readonly name: string;
  readonly jurisdiction: string;
  readonly contact?: string | undefined;
  readonly address?: ControllerAddress | undefined;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
  readonly url?: string | undefined;
  readonly policyUrl?: string | undefined;
}

/** A controller with every detail a standard receipt requires. */
export type CompleteController = ReceiptController & Required<Pick<ReceiptController, 'contact' | 'address' | 'email' | 'phone' | 'policyUrl'>>;

/** The controller, or the configuration keys it lacks for a receipt that validates. */
export function completeController(c: ReceiptController): { ok: true; controller: CompleteController } | { ok: false; missing: string[] } {
  const missing = (['contact', 'address', 'email', 'phone', 'policyUrl'] as const).filter((k) => c[k] === undefined).map((k) => `controller.${k}`);
  return missing.length ? { ok: false, missing } : { ok: true, controller: c as CompleteController };
}

export type PurposeName = 'call recording' | 'marketing';

export interface PurposeDecision {
  readonly purpose: PurposeName;
  /** As the flow recorded it: granted / refused / objected / no_answer / none (recording); yes / no / none (marketing). */
  readonly decision: string;
  /** True only when the caller's choice authorises the processing (recording granted, marketing yes). */
  readonly processingAuthorised: boolean;
  readonly legalBasis: string;
  readonly how: string | null;
  /** Marketing: the channels the question named. */
  readonly channels: readonly string[];
  /** The event that carries the decision; null when the call ended before one was made. */
  readonly event: { readonly seq: number; readonly at: string; readonly hash: string } | null;
}

export interface CallDecisions {
  readonly started: StoredEvent;
  readonly flowId: string;
  readonly legalBasis: string;
  readonly language: string | null;
  /** The pseudonymous subject: the salted commitment from `call.started`, or `anonymous:<call id>`. */
  readonly principalId: string;
  readonly purposes: readonly PurposeDecision[];
  /** The event a receipt is dated by and derived from: the recording decision, else the start. */
  readonly decisive: StoredEvent;
  readonly notice: { promptId: string | null; version: string | null; audioSha256: string | null; heardInFull: boolean };
}

export const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

const ref = (e: StoredEvent | undefined) => (e ? { seq: e.seq, at: e.at, hash: e.hash } : null);

/** null when the call has no `call.started` event. */
export function callDecisions(callId: string, events: readonly StoredEvent[], call: CallSummary | null): CallDecisions | null {
  const started = events.find((e) => e.kind === 'call.started');
  if (!started) return null;
  const legalBasis = str(started.data.legalBasis) ?? call?.legalBasis ?? 'unknown';
  const recordingEvent = events.find((e) => e.kind === 'consent.recording');
  const objection = events.find((e) => e.kind === 'objection.made');
  const marketingEvent = events.find((e) => e.kind === 'consent.marketing');
  const notices = events.filter((e) => e.kind === 'prompt.played' && e.data.step === 'notice');
  const notice = notices.find((e) => e.data.playback === 'completed') ?? notices[notices.length - 1];

  const recordingDecision = objection ? 'objected' : (str(recordingEvent?.data.decision) ?? 'none');
  const purposes: PurposeDecision[] = [
    {
      purpose: 'call recording',
      decision: recordingDecision,
      processingAuthorised: recordingDecision === 'granted',
      legalBasis,
      how: objection ? 'objection_key' : str(recordingEvent?.data.how),
      channels: [],
      event: ref(recordingEvent ?? objection),
    },
  ];
  if (marketingEvent) {
    const decision = str(marketingEvent.data.decision) ?? 'none';
    const channels = Array.isArray(marketingEvent.data.channels) ? marketingEvent.data.channels.filter((c) => typeof c === 'string') : [];
    purposes.push({ purpose: 'marketing', decision, processingAuthorised: decision === 'yes', legalBasis: 'explicit_consent', how: 'dtmf', channels, event: ref(marketingEvent) });
  }
  return {
    started,
    flowId: str(started.data.flowId) ?? call?.flowId ?? 'unknown',
    legalBasis,
    language: str(started.data.lang) ?? call?.language ?? null,
    principalId: str(started.data.caller) ?? `anonymous:${callId}`,
    purposes,
    decisive: recordingEvent ?? objection ?? started,
    notice: {
      promptId: str(notice?.data.promptId),
      version: str(notice?.data.version),
      audioSha256: str(notice?.data.audioSha256),
      heardInFull: notice?.data.playback === 'completed',
    },
  };
}

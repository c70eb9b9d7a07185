/** The API's answers as the console reads them (the zod response schemas in api/routes are the source). */
export interface CallRow {
  readonly callId: string;
  readonly startedAt: string;
  readonly flowId: string;
  readonly did: string;
  readonly callerMasked: string | null;
  readonly language: string | null;
  readonly legalBasis: string;
  readonly outcome: 'continued' | 'objected' | 'abandoned' | 'failed' | null;
  readonly recording: 'yes' | 'no' | null;
  readonly marketing: 'yes' | 'no' | 'none' | null;
  readonly endedAt: string | null;
  readonly server: string | null;
}

export interface CallPageView {
  readonly calls: CallRow[];
  readonly nextCursor: string | null;
}

export interface EventView {
  readonly seq: number;
  readonly callId: string | null;
  readonly at: string;
  readonly kind: string;
  readonly data: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
  readonly check?: string;
}

export interface TimelineView {
  readonly callId: string;
  readonly call: CallRow | null;
  readonly verification: { ok: boolean; firstBroken: number | null };
  readonly events: EventView[];
}

export interface RecordingView {
  readonly id: string;
  readonly callId: string | null;
  readonly state: string;
  readonly stored: boolean;
  readonly quarantined: boolean;
  readonly quarantineReason: string | null;
  readonly playable: boolean;
  readonly bytes: number | null;
  readonly plaintextSha256: string | null;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
}

export interface HoldView {
  readonly id: string;
  readonly scope: 'call' | 'caller' | 'flow';
  readonly callId?: string;
  readonly flowId?: string;
  readonly reason: string;
  readonly setBy: { tokenId: string; name: string };
  readonly setAt: string;
  readonly active: boolean;
}

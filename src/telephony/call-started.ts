import type { FlowConfig } from '../config/schema.js';
import type { AppendEffects } from '../evidence/store.js';
import type { NewEvent, SubjectRecord } from '../evidence/types.js';
import type { FlowSelection } from './flow-select.js';
import type { AnswerState } from './session-channel.js';

export interface CallStart {
  readonly callId: string;
  readonly at: string;
  readonly flow: FlowConfig;
  readonly selection: FlowSelection;
  readonly answer?: AnswerState | undefined;
  readonly channelId: string;
  readonly server: string;
  readonly instance: string;
  readonly lang: string;
  readonly subject: SubjectRecord | null;
}

/**
 * The `call.started` event and the calls-table row it opens: which flow and why, whether the
 * channel was answered, where the call runs, and the caller only as a commitment.
 */
export function callStartedEvent(c: CallStart): [NewEvent, AppendEffects] {
  const event: NewEvent = {
    callId: c.callId,
    kind: 'call.started',
    at: c.at,
    data: {
      flowId: c.flow.id,
      legalBasis: c.flow.legalBasis,
      did: c.selection.did,
      flowSelection: c.selection.reason,
      didFrom: c.selection.didFrom,
      ...(c.answer ? { answer: c.answer } : {}),
      channelId: c.channelId,
      server: c.server,
      instance: c.instance,
      lang: c.lang,
      caller: c.subject ? c.subject.commitment : null,
    },
  };
  const effects: AppendEffects = {
    ...(c.subject ? { subject: c.subject } : {}),
    callOpen: {
      callId: c.callId,
      startedAt: c.at,
      flowId: c.flow.id,
      did: c.selection.did,
      legalBasis: c.flow.legalBasis,
      server: c.server,
      language: c.lang,
    },
  };
  return [event, effects];
}

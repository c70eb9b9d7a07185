/**
 * Pause and resume asked by the dialplan: a feature code (features.conf applicationmap) or a
 * payment IVR runs the sample subroutine `consentline-recording-control`, which raises
 * `UserEvent(ConsentLineRecording,Action: pause|resume,Source: …)` on the asking channel. The
 * service finds the call by the channel's linkedid (the agent's channel shares the caller's),
 * acts, and sets CONSENTLINE_RECORDING_STATE on the asking channel to `paused`, `recording`,
 * `stopped`, `not_recording` or `failed`, which the subroutine may wait for.
 */
import type { Logger } from '../../shared/log.js';
import type { RecordingControlRequest } from '../ami/index.js';
import { ChannelActions, type ControlWatcher } from './channel-actions.js';
import type { ControlOutcome, RecordingController, Requester } from './port.js';

export interface DialplanRequestDeps {
  readonly watcher: ControlWatcher;
  readonly control: RecordingController;
  readonly callIdOf: (consentId: string | undefined) => string | null;
  readonly log: Logger;
  readonly actionTimeoutMs: number;
}

const SOURCE = /^[A-Za-z0-9_.-]{1,32}$/;

export function stateFor(o: ControlOutcome): string {
  switch (o.status) {
    case 'done':
      return o.state;
    case 'recording_stopped':
      return 'stopped';
    case 'unknown_call':
    case 'not_recording':
      return 'not_recording';
    case 'failed':
      return 'failed';
  }
}

/** Subscribes to the dialplan's requests; returns the unsubscribe function. */
export function followDialplanRequests(deps: DialplanRequestDeps): () => void {
  const log = deps.log.child({ component: 'recording-control' });
  const ami = new ChannelActions(deps.watcher);
  const handle = async (e: RecordingControlRequest): Promise<void> => {
    const callId = callOf(deps, e);
    const by: Requester = { source: 'dialplan', uniqueid: e.uniqueid, via: SOURCE.test(e.source) ? e.source : 'dialplan' };
    let outcome: ControlOutcome;
    if (e.action !== 'pause' && e.action !== 'resume') {
      log.warn({ action: e.action.slice(0, 32), uniqueid: e.uniqueid }, 'recording control UserEvent with an unknown Action ignored');
      return;
    }
    if (!callId) outcome = { status: 'not_recording' };
    else outcome = e.action === 'pause' ? await deps.control.pause(callId, by, 'dialplan') : await deps.control.resume(callId, by);
    log.info({ callId, action: e.action, uniqueid: e.uniqueid, outcome: outcome.status, state: stateFor(outcome) }, 'recording control asked by the dialplan');
    await ami.tell(e.channel, stateFor(outcome), deps.actionTimeoutMs);
  };
  const off = deps.watcher.on('recordingControl', (e) => {
    handle(e).catch((err: unknown) => log.error({ err, uniqueid: e.uniqueid }, 'recording control request from the dialplan failed'));
  });
  return () => {
    off();
    ami.close();
  };
}

/** The call of the asking channel: its CONSENT_ID, else that of a recording sharing its linkedid. */
function callOf(deps: DialplanRequestDeps, e: RecordingControlRequest): string | null {
  const own = deps.callIdOf(e.consentId);
  if (own) return own;
  for (const r of deps.watcher.activeRecordings()) {
    if (r.linkedid === e.linkedid || r.uniqueid === e.uniqueid) {
      const id = deps.callIdOf(r.consentId);
      if (id) return id;
    }
  }
  return null;
}

/**
 * Protocol translation: raw AMI messages (lower-cased keys, string values) into the typed messages
 * the recording tracker understands, and the two actions the watcher sends. Pure: no session, no state.
 */
import type { ActionOutcome, AmiFields } from './port.js';
import { isSafeRecordingName } from './spool-path.js';

/** The channel an AMI event is about: `linkedid` defaults to `uniqueid` (the call's first channel). */
export interface ChannelRef {
  readonly uniqueid: string;
  readonly linkedid: string;
  /** Absent when the event does not name it. */
  readonly channel?: string;
}

export type AmiMessage =
  /** `VarSet MIXMONITOR_FILENAME`: just before MixMonitorStart, or late. */
  | { readonly kind: 'fileName'; readonly ref: ChannelRef; readonly path: string }
  /** `VarSet CONSENT_*`, name without inheritance underscores. */
  | { readonly kind: 'consentVar'; readonly ref: ChannelRef; readonly name: string; readonly value: string }
  | { readonly kind: 'monitorStart'; readonly ref: ChannelRef }
  | { readonly kind: 'monitorStop'; readonly uniqueid: string }
  | { readonly kind: 'hangup'; readonly uniqueid: string }
  /** `MixMonitorMute`: Asterisk published a mute (State 1) or unmute (State 0) on the channel. */
  | { readonly kind: 'mute'; readonly ref: ChannelRef; readonly muted: boolean; readonly direction: string }
  /** `UserEvent` named {@link CONTROL_USER_EVENT}: the dialplan asks to pause or resume (asterisk/extensions.conf). */
  | { readonly kind: 'control'; readonly ref: ChannelRef; readonly action: string; readonly source: string }
  /** `UserEvent` named {@link JOINER_USER_EVENT}: a party joining a call, before and after its notice. */
  | { readonly kind: 'joiner'; readonly ref: ChannelRef; readonly fields: JoinerFields }
  /** `BridgeEnter` / `BridgeLeave`: a channel entered or left a bridge. */
  | { readonly kind: 'bridge'; readonly ref: ChannelRef; readonly bridgeId: string; readonly entered: boolean };

/** What the sample dialplan's consentline-joiner subroutine reports (asterisk/extensions.conf). */
export interface JoinerFields {
  /** `joining` (before the notice) or `heard` (after it). */
  readonly stage: string;
  /** `queue`, `dial`, `transfer`, `conference`… as the dialplan says. */
  readonly via: string;
  /** MEMBERINTERFACE (queues.conf setinterfacevar) or empty. */
  readonly interface: string;
  /** CONSENT_ID of the call's first channel (MASTER_CHANNEL), or empty. */
  readonly consentId: string;
  /** `heard`: the channel's language when the notice played, and PLAYBACKSTATUS. */
  readonly language: string;
  readonly status: string;
}

/** The UserEvent the sample dialplan's recording-control subroutine raises. */
export const CONTROL_USER_EVENT = 'ConsentLineRecording';
/** The UserEvent the sample dialplan's consentline-joiner subroutine raises. */
export const JOINER_USER_EVENT = 'ConsentLineJoiner';

export const FILENAME_VAR = 'MIXMONITOR_FILENAME';
const CONSENT_PREFIX = 'CONSENT_';

export type GetVarOutcome =
  | { readonly status: 'ok'; readonly value: string }
  | { readonly status: 'error'; readonly message: string }
  | { readonly status: 'not-connected' }
  | { readonly status: 'timeout' };

export type MixMonitorOutcome =
  | { readonly status: 'accepted' }
  | { readonly status: 'rejected'; readonly reason: 'invalid-file' | 'invalid-channel' }
  | { readonly status: 'error'; readonly message: string }
  | { readonly status: 'not-connected' }
  | { readonly status: 'timeout' };

/** The message the tracker acts on, or null for events it does not follow (or without a channel id). */
export function translateAmiEvent(ev: AmiFields): AmiMessage | null {
  const uniqueid = ev['uniqueid'] ?? '';
  switch ((ev['event'] ?? '').toLowerCase()) {
    case 'varset': {
      const name = (ev['variable'] ?? '').replace(/^_{1,2}/, '');
      const value = ev['value'] ?? '';
      if (!uniqueid) return null;
      if (name === FILENAME_VAR) return { kind: 'fileName', ref: refOf(ev, uniqueid), path: value };
      if (!name.startsWith(CONSENT_PREFIX)) return null;
      return { kind: 'consentVar', ref: refOf(ev, uniqueid), name, value };
    }
    case 'mixmonitorstart':
      return uniqueid ? { kind: 'monitorStart', ref: refOf(ev, uniqueid) } : null;
    case 'mixmonitorstop':
      return uniqueid ? { kind: 'monitorStop', uniqueid } : null;
    case 'hangup':
      return uniqueid ? { kind: 'hangup', uniqueid } : null;
    case 'mixmonitormute':
      return uniqueid ? { kind: 'mute', ref: refOf(ev, uniqueid), muted: ev['state'] === '1', direction: ev['direction'] ?? '' } : null;
    case 'userevent':
      if (uniqueid && (ev['userevent'] ?? '') === JOINER_USER_EVENT) return { kind: 'joiner', ref: refOf(ev, uniqueid), fields: joinerFields(ev) };
      if (!uniqueid || (ev['userevent'] ?? '') !== CONTROL_USER_EVENT) return null;
      return { kind: 'control', ref: refOf(ev, uniqueid), action: (ev['action'] ?? '').toLowerCase(), source: ev['source'] ?? '' };
    case 'bridgeenter':
    case 'bridgeleave': {
      const bridgeId = ev['bridgeuniqueid'] ?? '';
      if (!uniqueid || !bridgeId) return null;
      return { kind: 'bridge', ref: refOf(ev, uniqueid), bridgeId, entered: ev['event']!.toLowerCase() === 'bridgeenter' };
    }
    default:
      return null;
  }
}

const field = (ev: AmiFields, key: string, max: number) => (ev[key] ?? '').trim().slice(0, max);

function joinerFields(ev: AmiFields): JoinerFields {
  return {
    stage: field(ev, 'stage', 16).toLowerCase(),
    via: field(ev, 'via', 32).toLowerCase(),
    interface: field(ev, 'interface', 120),
    consentId: field(ev, 'consentid', 64),
    // Not `Language`/`Status`: the channel snapshot of every channel event has a `Language` of its own.
    language: field(ev, 'noticelanguage', 16),
    status: field(ev, 'playbackstatus', 16).toUpperCase(),
  };
}

function refOf(ev: AmiFields, uniqueid: string): ChannelRef {
  const channel = ev['channel'];
  return { uniqueid, linkedid: ev['linkedid'] || uniqueid, ...(channel ? { channel } : {}) };
}

export function getVarAction(channel: string, name: string): Record<string, string> {
  return { Action: 'Getvar', Channel: channel, Variable: name };
}

export function toGetVarOutcome(r: ActionOutcome): GetVarOutcome {
  if (r.status === 'success') return { status: 'ok', value: r.fields['value'] ?? '' };
  return r.status === 'error' ? { status: 'error', message: r.message } : r;
}

/** Why a MixMonitor action is refused before it is sent (a file name never built from caller ID), or null. */
export function mixMonitorRefusal(channel: string, file: string): MixMonitorOutcome | null {
  if (!isSafeRecordingName(file)) return { status: 'rejected', reason: 'invalid-file' };
  if (channel === '' || /[\r\n\0]/.test(channel)) return { status: 'rejected', reason: 'invalid-channel' };
  return null;
}

export function mixMonitorAction(channel: string, file: string): Record<string, string> {
  return { Action: 'MixMonitor', Channel: channel, File: file };
}

export function toMixMonitorOutcome(r: ActionOutcome): MixMonitorOutcome {
  if (r.status === 'success') return { status: 'accepted' };
  return r.status === 'error' ? { status: 'error', message: r.message } : r;
}

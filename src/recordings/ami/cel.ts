/**
 * Asterisk's channel event records (CEL) as cel_manager sends them over AMI (`Event: CEL`, class
 * `call`), reduced to what recording assurance needs. Pure. Caller-ID fields, the extension, the
 * peer and application arguments are dropped here, before anything is stored: only the Stasis
 * application's name (which says the call entered the consent flow) and MixMonitor's file name
 * (ids only, built by the shipped dialplan) are kept.
 */
import type { AmiFields } from './port.js';

/** The CEL event names assurance reads (asterisk/cel.conf `events=`); others are ignored. */
export const CEL_EVENT_NAMES = ['CHAN_START', 'CHAN_END', 'ANSWER', 'HANGUP', 'APP_START', 'APP_END', 'BRIDGE_ENTER', 'BRIDGE_EXIT', 'LINKEDID_END'] as const;
export type CelEventName = (typeof CEL_EVENT_NAMES)[number];
const NAMES = new Set<string>(CEL_EVENT_NAMES);

export interface CelRecord {
  readonly eventName: CelEventName;
  /** As Asterisk formats it: local time, no zone. */
  readonly eventTime: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  /** `PJSIP`, `Local`…: the technology only (a channel name can hold a dialled number). */
  readonly channelTech: string;
  readonly context: string;
  readonly application: string;
  /** Stasis: the application name; MixMonitor: the file name; else ''. */
  readonly appArg: string;
}

const MAX = 200;

/** The record of an `Event: CEL` message, or null for any other message or an event assurance does not use. */
export function translateCel(ev: AmiFields): CelRecord | null {
  if ((ev['event'] ?? '').toLowerCase() !== 'cel') return null;
  const eventName = ev['eventname'] ?? '';
  const uniqueid = ev['uniqueid'] ?? '';
  if (!NAMES.has(eventName) || uniqueid === '') return null;
  const application = (ev['application'] ?? '').slice(0, MAX);
  return {
    eventName: eventName as CelEventName,
    eventTime: (ev['eventtime'] ?? '').slice(0, 40),
    uniqueid: uniqueid.slice(0, MAX),
    linkedid: (ev['linkedid'] || uniqueid).slice(0, MAX),
    channelTech: (ev['channel'] ?? '').split('/')[0]!.slice(0, 40),
    context: (ev['context'] ?? '').slice(0, 80),
    application,
    appArg: appArgOf(application, ev['appdata'] ?? ''),
  };
}

function appArgOf(application: string, appData: string): string {
  const app = application.toLowerCase();
  if (app !== 'stasis' && app !== 'mixmonitor') return '';
  const first = appData.split(',')[0]!.trim();
  // The file name: its last path segment, only when made of safe characters (never caller ID).
  const arg = app === 'mixmonitor' ? (first.split('/').pop() ?? '') : first;
  return /^[0-9A-Za-z._-]{1,200}$/.test(arg) ? arg : '';
}

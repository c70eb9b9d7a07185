/**
 * One run: offer `rate` calls/s for `seconds` to one app and watch from outside it. Calls are Local
 * channels whose IVR half runs `<did>@<context>` and whose caller half waits in bench-caller. An
 * observer app subscribed to all events timestamps (Asterisk's clock) Stasis entry, the first
 * PlaybackStarted and arrival in the continue context, and counts what the app did while it held
 * the channel; the apps' and Asterisk's CPU come from /proc/<pid>/stat.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AFTER_CONTEXT } from './rig.js';
import { AriHttp, type AriEventMessage } from './ari-http.js';

export interface CallTrace {
  stasisAt?: number;
  firstPlayAt?: number;
  continued: boolean;
  fellBack: boolean;
  ended: boolean;
  inStasis: boolean;
  /** What the app did on the channel while it held it: answer, plays, variables set. */
  answers: number;
  plays: number;
  varsets: number;
}

export interface RunResult {
  readonly offered: number;
  readonly completed: number;
  /** Calls that reached consentline-fallback (the service's fallback route or Stasis failing). */
  readonly fellBack: number;
  readonly originateFailures: number;
  readonly latenciesMs: number[];
  readonly appCpuMs: number;
  readonly asteriskCpuMs: number;
  /** Mean per completed call: answers, plays, variables set (ChannelVarset events, not requests: an ARRAY() write sets several in one), continue (inferred from events). */
  readonly requestsPerCall: { answer: number; play: number; variable: number; continue: number };
}

export class CallWatch {
  readonly traces = new Map<string, CallTrace>();
  readonly #stasisApps: Set<string>;
  constructor(stasisApps: string[]) {
    this.#stasisApps = new Set(stasisApps);
  }

  /** Feed for the observer's event socket. */
  onEvent = (e: AriEventMessage): void => {
    const id = e.channel?.id ?? (e.playback?.target_uri.startsWith('channel:') ? e.playback.target_uri.slice(8) : undefined);
    const t = id ? this.traces.get(id) : undefined;
    if (!t) return;
    const at = e.timestamp ? Date.parse(e.timestamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')) : Date.now();
    const dialplanApp = e.type === 'ChannelDialplan' ? e.channel?.dialplan?.app_name : undefined;
    if (process.env.BENCH_DEBUG) console.error(id, e.type, e.application ?? '', dialplanApp ?? '', (e as { variable?: string }).variable ?? '');
    // Stasis entry as Asterisk reports it: the dialplan running Stasis() (the observer is not
    // told of other apps' StasisStart), or a StasisStart if it is.
    if (dialplanApp === 'Stasis' || (e.type === 'StasisStart' && this.#stasisApps.has(e.application ?? ''))) {
      t.stasisAt ??= at;
      t.inStasis = true;
    } else if (e.type === 'StasisEnd' || (dialplanApp !== undefined && dialplanApp !== 'Stasis')) t.inStasis = false;
    else if (e.type === 'PlaybackStarted') {
      t.firstPlayAt ??= at;
      t.plays++;
    } else if (e.type === 'ChannelVarset' && t.inStasis && (e as { variable?: string }).variable !== 'STASISSTATUS') t.varsets++;
    else if (e.type === 'ChannelStateChange' && t.inStasis && (e.channel as { state?: string }).state === 'Up') t.answers++;
    if (e.type === 'ChannelDialplan' && e.channel?.dialplan?.context === AFTER_CONTEXT) t.continued = true;
    else if (e.type === 'ChannelDialplan' && e.channel?.dialplan?.context === 'consentline-fallback') t.fellBack = true;
    else if (e.type === 'ChannelDestroyed') t.ended = true;
  };
}

/** utime + stime of a process in milliseconds. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunSpec {
  readonly label: string;
  readonly endpoint: string;
  readonly rate: number;
  readonly seconds: number;
  readonly appPid: number;
  readonly asteriskPid: number;
}

export async function offerLoad(ari: AriHttp, watch: CallWatch, spec: RunSpec): Promise<RunResult> {
  const [app0, ast0] = [await cpuMs(spec.appPid), await cpuMs(spec.asteriskPid)];
  const total = Math.round(spec.rate * spec.seconds);
  const ids: string[] = [];
  let failures = 0;
  const pending: Promise<void>[] = [];
  const t0 = Date.now();
  while (ids.length < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * spec.rate) + 1);
    while (ids.length < due) {
      const ivr = `ivr-${randomUUID()}`;
      ids.push(ivr);
      watch.traces.set(ivr, { continued: false, fellBack: false, ended: false, inStasis: false, answers: 0, plays: 0, varsets: 0 });
      const query = { endpoint: spec.endpoint, context: 'bench-caller', extension: 's', priority: '1', channelId: `caller-${randomUUID()}`, otherChannelId: ivr, formats: 'ulaw', timeout: '30' };
      pending.push(
        ari.send('POST', '/channels', query).then(
          ({ status, body }) => {
            if (status === 200) return;
            if (failures++ === 0) console.error(`${spec.label}: originate answered ${status} ${body}`);
          },
          (err: unknown) => {
            if (failures++ === 0) console.error(`${spec.label}: originate failed: ${String(err)}`);
          },
        ),
      );
    }
    await sleep(5);
  }
  await Promise.all(pending);
  const drainUntil = Date.now() + 30_000;
  while (Date.now() < drainUntil && ids.some((id) => !watch.traces.get(id)!.ended)) await sleep(250);

  const traces = ids.map((id) => watch.traces.get(id)!);
  const done = traces.filter((t) => t.continued);
  const n = Math.max(1, done.length);
  const mean = (f: (t: CallTrace) => number) => done.reduce((s, t) => s + f(t), 0) / n;
  const result: RunResult = {
    offered: total,
    completed: done.length,
    fellBack: traces.filter((t) => t.fellBack).length,
    originateFailures: failures,
    latenciesMs: traces.filter((t) => t.stasisAt !== undefined && t.firstPlayAt !== undefined).map((t) => t.firstPlayAt! - t.stasisAt!),
    appCpuMs: (await cpuMs(spec.appPid)) - app0,
    asteriskCpuMs: (await cpuMs(spec.asteriskPid)) - ast0,
    requestsPerCall: { answer: mean((t) => t.answers), play: mean((t) => t.plays), variable: mean((t) => t.varsets), continue: 1 },
  };
  for (const id of ids) watch.traces.delete(id);
  return result;
}

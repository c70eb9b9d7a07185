/**
 * Parties who join a recorded call (issue 23.2, 23.3). The sample dialplan's `consentline-joiner`
 * subroutine runs on the joining party's channel after it answered and before it is bridged to the
 * caller (Queue's gosub argument, Dial's `U()`): it raises `UserEvent ConsentLineJoiner` (stage
 * `joining`), waits for this guard's answer, plays the notice in the language the guard set, and
 * reports it (stage `heard`, with the channel's language and PLAYBACKSTATUS). The guard:
 *
 * - looks the joining party's interface up in the agents registry; an employee (a queue member, a
 *   dialled agent) whose monitoring notice is missing or younger than the configured days stops
 *   the call's recording before the bridge (`employee_notice_missing` / `_too_recent`);
 * - writes `party.joined`: who (the agent id, or an HMAC of the interface), when, how, and which
 *   notice was heard (prompt id, language as Asterisk reported it, version, SHA-256 of its audio);
 * - fails closed: a notice not played (`FAILED`, unknown language), a `heard` that does not come
 *   in time, or a party that enters a bridge with a recorded channel without having been
 *   announced (a transfer or conference the service cannot see) stops the recording from then on.
 */
import { createHmac } from 'node:crypto';
import { JOINER_NOTICE_PROMPT } from '../config/defaults.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { JsonValue } from '../evidence/types.js';
import type { BridgeMove, JoinerReport } from '../recordings/ami/events.js';
import type { AmiWatcher } from '../recordings/ami/watcher.js';
import type { RecordingStopper } from '../recordings/control/port.js';
import { isoAt, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { BridgeBook } from './bridges.js';
import { normalizeInterface, type Agent, type NoticeVerdict } from './registry.js';

export const JOINER_PROMPT = JOINER_NOTICE_PROMPT;
/** Channel variables the guard sets on the joining channel; the subroutine waits for the state. */
export const JOINER_STATE_VAR = 'CONSENTLINE_JOINER_STATE';
export const JOINER_LANG_VAR = 'CONSENTLINE_JOINER_LANG';
/** `via` values for which the joining party is an employee whose monitoring notice is checked. */
const EMPLOYEE_VIA = new Set(['queue', 'dial', 'agent', 'transfer']);

export interface JoinerGuardDeps {
  readonly watcher: Pick<AmiWatcher, 'on' | 'send' | 'activeRecordings'>;
  readonly stopper: RecordingStopper;
  readonly agents: { byInterface(iface: string): Promise<Agent | null>; verdict(agent: Agent | null): NoticeVerdict; readonly minDays: number };
  readonly prompts: { get(id: string, lang: string): { readonly version: string; readonly audioSha256: string } };
  readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
  readonly callIdOf: (consentId: string | undefined) => string | null;
  readonly pepper: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly options: { readonly defaultLanguage: string; readonly heardTimeoutMs: number; readonly actionTimeoutMs: number };
}

interface Joining {
  readonly callId: string | null;
  readonly via: string;
  readonly joinerRef: string;
  readonly agentId: string | null;
  readonly language: string | undefined;
  readonly employee: JsonValue;
  readonly at: string;
  timer: NodeJS.Timeout | null;
  stopped: boolean;
}

const REMEMBERED = 10_000;

export class JoinerGuard {
  readonly #d: JoinerGuardDeps;
  readonly #log: Logger;
  /** Parties between `joining` and `heard`: the look-up, started as the event arrives. */
  readonly #joining = new Map<string, Promise<Joining>>();
  /** Channels that heard the notice: they may share a bridge with a recorded channel. */
  readonly #announced = new Set<string>();
  readonly #bridges = new BridgeBook();
  readonly #off: (() => void)[];

  constructor(deps: JoinerGuardDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: 'joiners' });
    this.#off = [
      deps.watcher.on('joiner', (e) => void this.#onJoiner(e).catch((err: unknown) => this.#log.error({ err, uniqueid: e.uniqueid }, 'joining party could not be handled'))),
      deps.watcher.on('bridge', (e) => void this.#onBridge(e).catch((err: unknown) => this.#log.error({ err, bridge: e.bridgeId }, 'bridge change could not be checked'))),
    ];
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    for (const p of this.#joining.values()) void p.then((j) => j.timer && clearTimeout(j.timer), () => undefined);
    this.#joining.clear();
  }

  async #onJoiner(e: JoinerReport): Promise<void> {
    if (e.stage === 'joining') return this.#joiningStage(e);
    if (e.stage === 'heard') return this.#heardStage(e);
    this.#log.warn({ stage: e.stage.slice(0, 16), uniqueid: e.uniqueid }, 'ConsentLineJoiner UserEvent with an unknown Stage ignored');
  }

  #callOf(e: { consentId?: string; linkedid: string }): string | null {
    const own = this.#d.callIdOf(e.consentId);
    if (own) return own;
    for (const r of this.#d.watcher.activeRecordings()) if (r.linkedid === e.linkedid && this.#d.callIdOf(r.consentId)) return this.#d.callIdOf(r.consentId);
    return null;
  }

  #ref(iface: string): string {
    return createHmac('sha256', this.#d.pepper).update(`joiner\0${iface}`, 'utf8').digest('hex').slice(0, 32);
  }

  async #lookUp(e: JoinerReport): Promise<Joining> {
    const callId = this.#callOf(e);
    const iface = normalizeInterface(e.interface || e.channel);
    const employee = EMPLOYEE_VIA.has(e.via || 'dial');
    const agent = iface ? await this.#d.agents.byInterface(iface) : null;
    const verdict = employee ? this.#d.agents.verdict(agent) : null;
    return {
      callId,
      via: e.via || 'dial',
      joinerRef: this.#ref(iface ?? `channel:${e.uniqueid}`),
      agentId: agent?.agentId ?? null,
      language: agent?.language,
      employee: verdict ? { ...verdict, minDays: this.#d.agents.minDays, ...(agent?.notice ? { documentVersion: agent.notice.documentVersion, documentSha256: agent.notice.documentSha256 } : {}) } : null,
      at: isoAt(this.#d.clock),
      timer: null,
      stopped: false,
    };
  }

  async #joiningStage(e: JoinerReport): Promise<void> {
    const looked = this.#lookUp(e);
    this.#joining.set(e.uniqueid, looked);
    const j = await looked;
    const status = (j.employee as { status?: string } | null)?.status;
    // The language first: the subroutine plays the notice in it even if the state comes late.
    const lang = this.#language(j.language);
    await this.#tell(e.channel, JOINER_LANG_VAR, lang);
    let state = 'recorded';
    if (!j.callId || !this.#recorded(j.callId)) state = 'not_recording';
    else if (status && status !== 'ok') {
      await this.#stop(j, status);
      state = 'not_recorded';
    }
    await this.#tell(e.channel, JOINER_STATE_VAR, state);
    this.#log.info({ callId: j.callId, uniqueid: e.uniqueid, via: j.via, agentId: j.agentId, employeeNotice: status ?? 'not_checked', state, lang }, 'party joining the call');
    // `heard` may have come meanwhile (a slow answer): then there is nothing to wait for.
    if (this.#joining.get(e.uniqueid) !== looked) return;
    j.timer = setTimeout(() => void this.#unconfirmed(e.uniqueid, looked).catch((err: unknown) => this.#log.error({ err }, 'unconfirmed notice could not be handled')), this.#d.options.heardTimeoutMs);
    j.timer.unref();
  }

  async #heardStage(e: JoinerReport): Promise<void> {
    const played = e.status === 'SUCCESS' && this.#prompt(e.language) !== null;
    if (played) this.#remember(e.uniqueid);
    const pending = this.#joining.get(e.uniqueid);
    this.#joining.delete(e.uniqueid);
    const j = await (pending ?? this.#lookUp(e));
    if (j.timer) clearTimeout(j.timer);
    // No answer was given at `joining` (the service was busy or away): the employee check now.
    const status = (j.employee as { status?: string } | null)?.status;
    if (!pending && status && status !== 'ok' && j.callId && this.#recorded(j.callId)) await this.#stop(j, status);
    if (!played && j.callId && this.#recorded(j.callId)) await this.#stop(j, 'joiner_notice_not_played');
    const p = this.#prompt(e.language);
    const notice = { promptId: JOINER_PROMPT, lang: e.language, status: e.status || 'UNKNOWN', ...(p ? { version: p.version, audioSha256: p.audioSha256 } : {}) };
    await this.#joined(j, e, notice);
  }

  /** No `heard` in time: the notice cannot be vouched for. */
  async #unconfirmed(uniqueid: string, looked: Promise<Joining>): Promise<void> {
    if (this.#joining.get(uniqueid) !== looked) return;
    this.#joining.delete(uniqueid);
    const j = await looked;
    if (j.callId && this.#recorded(j.callId)) await this.#stop(j, 'joiner_notice_unconfirmed');
    await this.#joined(j, { uniqueid }, null);
  }

  async #onBridge(e: BridgeMove): Promise<void> {
    const members = this.#bridges.move(e);
    if (!e.entered || !members) return;
    const recordings = this.#d.watcher.activeRecordings().filter((r) => members.has(r.uniqueid));
    for (const rec of recordings) {
      const callId = this.#d.callIdOf(rec.consentId);
      if (!callId) continue;
      for (const [uniqueid] of members) {
        if (uniqueid === rec.uniqueid || this.#announced.has(uniqueid) || this.#joining.has(uniqueid)) continue;
        if (recordings.some((r) => r.uniqueid === uniqueid)) continue;
        const j: Joining = { callId, via: 'unannounced', joinerRef: this.#ref(`channel:${uniqueid}`), agentId: null, language: undefined, employee: null, at: isoAt(this.#d.clock), timer: null, stopped: false };
        this.#remember(uniqueid);
        this.#log.warn({ callId, uniqueid, bridge: e.bridgeId }, 'a party without a notice entered a bridge with a recorded channel: recording stopped');
        await this.#stop(j, 'joiner_without_notice');
        await this.#joined(j, { uniqueid }, null);
      }
    }
  }

  async #stop(j: Joining, reason: string): Promise<void> {
    if (!j.callId || j.stopped) return;
    j.stopped = true;
    const out = await this.#d.stopper.stopRecordingForRestOfCall(j.callId, reason, { source: 'service', via: 'joiner' });
    if (out.status === 'failed') this.#log.error({ callId: j.callId, reason, detail: out.detail }, 'recording could not be stopped for a joining party');
  }

  async #joined(j: Joining, e: { uniqueid: string }, notice: JsonValue): Promise<void> {
    if (!j.callId || !(await this.#d.evidence.getCall(j.callId))) return;
    await this.#d.evidence.append({
      callId: j.callId,
      kind: 'party.joined',
      data: {
        joinedAt: j.at,
        via: j.via,
        uniqueid: e.uniqueid,
        joinerRef: j.joinerRef,
        agentId: j.agentId,
        notice,
        employeeNotice: j.employee,
        recording: j.stopped ? 'stopped' : this.#recorded(j.callId) ? 'continues' : 'not_recording',
      },
    });
  }

  #recorded(callId: string): boolean {
    return this.#d.watcher.activeRecordings().some((r) => this.#d.callIdOf(r.consentId) === callId);
  }

  #prompt(lang: string): { version: string; audioSha256: string } | null {
    try {
      return lang ? this.#d.prompts.get(JOINER_PROMPT, lang) : null;
    } catch {
      return null;
    }
  }

  /** The agent's language when its notice exists, else the default. */
  #language(wanted: string | undefined): string {
    return wanted && this.#prompt(wanted) ? wanted : this.#d.options.defaultLanguage;
  }

  #remember(uniqueid: string): void {
    this.#announced.add(uniqueid);
    if (this.#announced.size > REMEMBERED) this.#announced.delete(this.#announced.values().next().value!);
  }

  async #tell(channel: string, variable: string, value: string): Promise<void> {
    if (channel === '') return;
    const r = await this.#d.watcher.send({ Action: 'Setvar', Channel: channel, Variable: variable, Value: value }, this.#d.options.actionTimeoutMs);
    if (r.status !== 'success') this.#log.warn({ variable, status: r.status }, 'could not answer the joining channel');
  }
}

import type { FlowConfig } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import type { AriAppEvents, AriPort, ChannelEvent, ChannelInfo } from './ari/port.js';
import type { OpenCall } from '../evidence/outcomes.js';
import { callPosition, closeGoneCall, planReconcile, type CallLedger } from './call-reconcile.js';
import { CallSession, type SessionDeps, type SessionEnd } from './call-session.js';
import { flowSelector, type FlowSelection } from './flow-select.js';
import { isOutboundCall, type OutboundGuard } from './outbound-guard.js';

/** How long a listed channel may wait for its StasisStart before it counts as an orphan. */
const ORPHAN_GRACE_MS = 500;

export interface CallManagerDeps extends Omit<SessionDeps, 'ops'> {
  readonly ari: AriPort;
  readonly flows: readonly FlowConfig[];
  readonly onCallEnded?: (end: SessionEnd, session: CallSession) => void;
  /** The ledger's open calls: without it a restart cannot resume calls under their ids nor close the gone ones. */
  readonly ledger?: CallLedger;
  /** Checks a dialer's campaign call (Stasis args `outbound,<campaign>,<number>`) before its Dial. */
  readonly outboundGuard?: OutboundGuard;
}

/**
 * Owns the live calls: starts a session per StasisStart, routes channel events to it, and
 * after an ARI reconnect reconciles with the channels Asterisk still holds in the app.
 */
export class CallManager implements AriAppEvents {
  readonly #sessions = new Map<string, CallSession>();
  readonly #guarding = new Set<string>();
  readonly #selectFlow: (stasisArgs: readonly string[], exten: string) => FlowSelection;
  #warnedNoDid = false;
  readonly #log: Logger;
  readonly #running = new Set<Promise<unknown>>();
  #stopping = false;
  #reconciled: Promise<void> = Promise.resolve();

  constructor(private readonly d: CallManagerDeps) {
    this.#selectFlow = flowSelector(d.flows);
    this.#log = d.log.child({ component: 'calls' });
  }

  get activeCalls(): number {
    return this.#sessions.size;
  }

  onStasisStart(channel: ChannelInfo): void {
    if (this.#sessions.has(channel.id)) return;
    this.#start(channel, (s) => (this.#stopping ? s.runOrphan('service_stopping') : s.run()));
  }

  onChannelEvent(channelId: string, event: ChannelEvent): void {
    this.#sessions.get(channelId)?.events.push(event);
  }

  onConnected(reconnect: boolean): void {
    this.#log.info({ reconnect }, 'ARI events connected');
    // Also on the first connect: after a restart, calls may be waiting in Stasis.
    const before = new Map(this.#sessions);
    // One reconcile at a time: two could both close the same gone call.
    this.#reconciled = this.#reconciled
      .then(() => this.reconcile(before))
      .catch((err: unknown) => this.#log.error({ err }, 'reconcile failed'));
    this.#track(this.#reconciled);
  }

  onDisconnected(reason: string): void {
    this.#log.warn({ reason, activeCalls: this.#sessions.size }, 'ARI events disconnected; calls stay in Stasis');
  }

  /**
   * Events were lost while the link was down (or the service was not running). Calls gone from the app ended meanwhile;
   * calls still there replay their current step. After a restart the ledger's open calls of this
   * server are settled: those still in Stasis resume under their own id (and go on at once,
   * unrecorded), those whose channel is gone are closed as ended while the service was down.
   * Channels neither a session nor the ledger knows (missed StasisStart) go to their fallback route unrecorded.
   */
  async reconcile(before: ReadonlyMap<string, CallSession>): Promise<void> {
    // Read before listing the channels: a call opened after this read is not in it.
    const open = await this.#openCalls();
    let held: string[];
    try {
      held = await this.d.ari.listAppChannels();
    } catch (err) {
      this.#log.error({ err }, 'reconcile: cannot list the application channels');
      return;
    }
    const heldSet = new Set(held);
    // Only sessions that lived through the outage lost events; newer ones are intact.
    for (const [channelId, session] of before) {
      if (!session.finished) session.events.push(heldSet.has(channelId) ? { type: 'LinkLost' } : { type: 'StasisEnd' });
    }
    const settled = open ? await this.#settleLedger(open, heldSet) : new Set<string>();
    const unknown = held.filter((id) => !this.#sessions.has(id) && !settled.has(id) && !this.#guarding.has(id));
    if (unknown.length === 0) return;
    // A channel that entered just now may have its StasisStart still in flight on the socket.
    await new Promise((resolve) => setTimeout(resolve, ORPHAN_GRACE_MS));
    // A session may have started and ended meanwhile: only channels still in the app are orphans.
    const stillHeld = new Set(await this.d.ari.listAppChannels().catch(() => held));
    for (const channelId of unknown) {
      if (this.#sessions.has(channelId) || !stillHeld.has(channelId)) continue;
      const channel = await this.d.ari.getChannel(channelId).catch(() => null);
      if (!channel) continue;
      this.#log.warn({ channel: channelId }, 'reconcile: channel in Stasis without a session; sending it on unrecorded');
      this.#start(channel, (s) => s.runOrphan('orphaned_after_reconnect'));
    }
  }

  async #openCalls(): Promise<OpenCall[] | null> {
    if (!this.d.ledger) return null;
    try {
      return await this.d.ledger.openCalls(this.d.server);
    } catch (err) {
      this.#log.error({ err }, 'reconcile: cannot read the open calls from the ledger');
      return null;
    }
  }

  /** Resumes and closes the ledger's open calls; returns the channels it resumed. */
  async #settleLedger(open: readonly OpenCall[], held: ReadonlySet<string>): Promise<Set<string>> {
    const ledger = this.d.ledger!;
    const live = { callIds: new Set([...this.#sessions.values()].map((s) => s.callId)), channelIds: new Set(this.#sessions.keys()) };
    const plan = planReconcile(open, held, live);
    await Promise.all(plan.resume.map((call) => this.#resume(ledger, call)));
    let closed = 0;
    for (const call of plan.gone) if (await this.#closeGone(ledger, call)) closed += 1;
    if (plan.resume.length || closed) this.#log.warn({ resumed: plan.resume.length, closed }, 'reconcile: open calls of the ledger settled');
    return new Set(plan.resume.map((c) => c.channelId));
  }

  async #closeGone(ledger: CallLedger, call: OpenCall): Promise<boolean> {
    try {
      return await closeGoneCall({ ledger, evidence: this.d.evidence, clock: this.d.clock }, call);
    } catch (err) {
      this.#log.error({ err, callId: call.callId }, 'reconcile: could not close a call whose channel is gone');
      return false;
    }
  }

  /**
   * Resumes an open call of the ledger whose channel is in Stasis. The ledger has all it needs
   * (flow, language): no channel request, so an ARI that answers slowly cannot split the call.
   */
  async #resume(ledger: CallLedger, call: OpenCall): Promise<void> {
    const events = await ledger.callEvents(call.callId).catch(() => []);
    if (this.#sessions.has(call.channelId)) return;
    const flow = this.d.flows.find((f) => f.id === call.flowId) ?? this.#selectFlow([], '').flow;
    const lang = call.language ?? flow.languages.default;
    // The language menu plays only when the flow offers a choice of language.
    const position = callPosition(call.callId, events, flow.languages.choice ? 'language' : 'notice');
    // Its state is unknown without a request; a resumed call is never answered again anyway.
    const channel: ChannelInfo = { id: call.channelId, name: '', state: 'Unknown', callerNumber: '', callerName: '', dialedExten: '', language: lang, args: [] };
    this.#log.warn({ channel: channel.id, callId: call.callId }, 'reconcile: call of the ledger still in Stasis; resuming it under its id, unrecorded');
    this.#start(channel, (s) => s.runResumed(position, lang), { flow, callId: call.callId });
  }

  /** Sends every live call on to its fallback route, unrecorded, and waits for them. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    for (const session of this.#sessions.values()) session.abort('service_stopping');
    await this.drain();
  }

  /** Waits for every running call to reach its end (used at shutdown and in tests). */
  async drain(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  #start(channel: ChannelInfo, run: (s: CallSession) => Promise<SessionEnd>, resumed?: { flow: FlowConfig | undefined; callId: string }): void {
    // A dialer's campaign call (also one found waiting after a restart) is checked, never run as an inbound flow.
    if (!resumed && isOutboundCall(channel.args)) return this.#guard(channel);
    const chosen = this.#selectFlow(channel.args, channel.dialedExten);
    // A resumed call keeps the flow the ledger gave it; the selection still says where the DID came from.
    const selection: FlowSelection = resumed?.flow ? { ...chosen, flow: resumed.flow } : chosen;
    const { did, didFrom, reason } = selection;
    this.#log.info({ channel: channel.id, did, didFrom, flow: selection.flow.id, flowSelection: reason }, 'call entered: flow chosen');
    if (reason === 'default_no_did' && !this.#warnedNoDid) {
      this.#warnedNoDid = true;
      this.#log.warn(
        { channel: channel.id, exten: channel.dialedExten },
        'no called number reached ConsentLine, so every such call takes the default flow: the dialplan should run Stasis(<app>,${EXTEN}) with the DID as first argument',
      );
    }
    const session = new CallSession(channel, selection, { ...this.d, ops: this.d.ari }, resumed?.callId);
    this.#sessions.set(channel.id, session);
    this.#track(
      run(session)
        .then((end) => this.d.onCallEnded?.(end, session))
        .catch((err: unknown) => this.#log.error({ err, channel: channel.id }, 'session crashed'))
        .finally(() => this.#sessions.delete(channel.id)),
    );
  }

  #guard(channel: ChannelInfo): void {
    // Checked once: a reconcile while the check runs must not take the channel for an orphan.
    if (this.#guarding.has(channel.id)) return;
    this.#guarding.add(channel.id);
    const guard = this.d.outboundGuard;
    const checked = guard ? guard(channel, this.d.ari) : this.d.ari.hangup(channel.id);
    this.#track(
      checked.catch((err: unknown) => this.#log.error({ err, channel: channel.id }, 'outbound guard failed')).finally(() => this.#guarding.delete(channel.id)),
    );
  }

  #track(p: Promise<unknown>): void {
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }
}

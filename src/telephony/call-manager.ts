import type { FlowConfig } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import type { AriAppEvents, AriPort, ChannelEvent, ChannelInfo } from './ari/port.js';
import { CallSession, type SessionDeps, type SessionEnd } from './call-session.js';
import { flowSelector, type FlowSelection } from './flow-select.js';

/** How long a listed channel may wait for its StasisStart before it counts as an orphan. */
const ORPHAN_GRACE_MS = 500;

export interface CallManagerDeps extends Omit<SessionDeps, 'ops'> {
  readonly ari: AriPort;
  readonly flows: readonly FlowConfig[];
  readonly onCallEnded?: (end: SessionEnd, session: CallSession) => void;
}

/**
 * Owns the live calls: starts a session per StasisStart, routes channel events to it, and
 * after an ARI reconnect reconciles with the channels Asterisk still holds in the app.
 */
export class CallManager implements AriAppEvents {
  readonly #sessions = new Map<string, CallSession>();
  readonly #selectFlow: (stasisArgs: readonly string[], exten: string) => FlowSelection;
  #warnedNoDid = false;
  readonly #log: Logger;
  readonly #running = new Set<Promise<unknown>>();
  #stopping = false;

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
    this.#track(this.reconcile(new Map(this.#sessions)));
  }

  onDisconnected(reason: string): void {
    this.#log.warn({ reason, activeCalls: this.#sessions.size }, 'ARI events disconnected; calls stay in Stasis');
  }

  /**
   * Events were lost while the link was down (or the service was not running). Calls gone from the app ended meanwhile;
   * calls still there replay their current step; channels we hold no session for (missed
   * StasisStart, or a restart) go to their fallback route unrecorded.
   */
  async reconcile(before: ReadonlyMap<string, CallSession>): Promise<void> {
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
    const unknown = held.filter((id) => !this.#sessions.has(id));
    if (unknown.length === 0) return;
    // A channel that entered just now may have its StasisStart still in flight on the socket.
    await new Promise((resolve) => setTimeout(resolve, ORPHAN_GRACE_MS));
    for (const channelId of unknown) {
      if (this.#sessions.has(channelId)) continue;
      const channel = await this.d.ari.getChannel(channelId).catch(() => null);
      if (!channel) continue;
      this.#log.warn({ channel: channelId }, 'reconcile: channel in Stasis without a session; sending it on unrecorded');
      this.#start(channel, (s) => s.runOrphan('orphaned_after_reconnect'));
    }
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

  #start(channel: ChannelInfo, run: (s: CallSession) => Promise<SessionEnd>): void {
    const selection = this.#selectFlow(channel.args, channel.dialedExten);
    const { did, didFrom, reason } = selection;
    this.#log.info({ channel: channel.id, did, didFrom, flow: selection.flow.id, flowSelection: reason }, 'call entered: flow chosen');
    if (reason === 'default_no_did' && !this.#warnedNoDid) {
      this.#warnedNoDid = true;
      this.#log.warn(
        { channel: channel.id, exten: channel.dialedExten },
        'no called number reached ConsentLine, so every such call takes the default flow: the dialplan should run Stasis(<app>,${EXTEN}) with the DID as first argument',
      );
    }
    const session = new CallSession(channel, selection, { ...this.d, ops: this.d.ari });
    this.#sessions.set(channel.id, session);
    this.#track(
      run(session)
        .then((end) => this.d.onCallEnded?.(end, session))
        .catch((err: unknown) => this.#log.error({ err, channel: channel.id }, 'session crashed'))
        .finally(() => this.#sessions.delete(channel.id)),
    );
  }

  #track(p: Promise<unknown>): void {
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }
}

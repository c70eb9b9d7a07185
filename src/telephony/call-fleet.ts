import type { AsteriskServer } from '../config/servers.js';
import type { Logger } from '../shared/log.js';
import type { AriPort } from './ari/port.js';
import { CallManager, type CallManagerDeps } from './call-manager.js';

/** One Asterisk server's link and the calls it hands over. */
export interface ServerLink {
  readonly name: string;
  readonly ari: AriPort;
  readonly calls: CallManager;
}

export interface CallFleetDeps extends Omit<CallManagerDeps, 'ari' | 'server'> {
  readonly servers: readonly AsteriskServer[];
  readonly connect: (server: AsteriskServer) => AriPort;
}

/**
 * The calls of every configured Asterisk server. Each server has its own ARI link and its own
 * CallManager, so a server that goes away (or reuses a channel id another server also uses)
 * only touches its own calls; every call's evidence names its server.
 */
export class CallFleet {
  readonly links: readonly ServerLink[];
  readonly #log: Logger;

  constructor(deps: CallFleetDeps) {
    const { servers, connect, ...shared } = deps;
    this.#log = deps.log;
    this.links = servers.map((server) => {
      const ari = connect(server);
      const log = deps.log.child({ server: server.name });
      return { name: server.name, ari, calls: new CallManager({ ...shared, log, ari, server: server.name }) };
    });
  }

  get activeCalls(): number {
    return this.links.reduce((n, l) => n + l.calls.activeCalls, 0);
  }

  /** Starts every link; each keeps retrying on its own, so this does not wait for any Asterisk. */
  start(): void {
    for (const link of this.links) {
      link.ari.start(link.calls).catch((err: unknown) => this.#log.error({ err, server: link.name }, 'ARI link stopped'));
    }
  }

  /** Names of the servers whose events link is up, and of those whose link is down. */
  status(): { up: string[]; down: string[] } {
    const up = this.links.filter((l) => l.ari.connected).map((l) => l.name);
    return { up, down: this.links.filter((l) => !l.ari.connected).map((l) => l.name) };
  }

  /** Waits for every running call on every server to reach its end. */
  async drain(): Promise<void> {
    await Promise.all(this.links.map((l) => l.calls.drain()));
  }

  /** Sends every live call on to its fallback route, unrecorded, and closes the links. */
  async shutdown(): Promise<void> {
    await Promise.all(this.links.map((l) => l.calls.shutdown()));
  }

  async close(): Promise<void> {
    await Promise.all(this.links.map((l) => l.ari.close()));
  }
}

/**
 * Who is in which bridge, from AMI's BridgeEnter / BridgeLeave (pure bookkeeping). A bridge is
 * forgotten when its last channel leaves.
 */
export interface BridgeMember {
  readonly channel: string;
  readonly linkedid: string;
}

export class BridgeBook {
  readonly #bridges = new Map<string, Map<string, BridgeMember>>();

  /** Applies one move; returns the bridge's members after it (null once the bridge is empty). */
  move(e: { bridgeId: string; uniqueid: string; channel: string; linkedid: string; entered: boolean }): ReadonlyMap<string, BridgeMember> | null {
    let members = this.#bridges.get(e.bridgeId);
    if (e.entered) {
      if (!members) this.#bridges.set(e.bridgeId, (members = new Map()));
      members.set(e.uniqueid, { channel: e.channel, linkedid: e.linkedid });
      return members;
    }
    if (!members) return null;
    members.delete(e.uniqueid);
    if (members.size > 0) return members;
    this.#bridges.delete(e.bridgeId);
    return null;
  }

  get size(): number {
    return this.#bridges.size;
  }
}

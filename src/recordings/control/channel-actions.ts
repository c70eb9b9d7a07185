/**
 * The AMI side of recording control, one channel at a time: MixMonitorMute confirmed by Asterisk's
 * own MixMonitorMute event, StopMixMonitor, and the state variable the dialplan can wait on.
 *
 * What Asterisk 22 does (app_mixmonitor.c, manager_channels.c): `MixMonitorMute` (class system or
 * call, so `write = call` suffices) sets the mute flag on every MixMonitor audiohook of the channel
 * and answers a bare `Response: Success`; it then publishes the `MixMonitorMute` event (class call:
 * channel snapshot, `Direction`, `State: 1|0`). Errors: `No such channel`, `Cannot set mute flag`
 * (the channel has no audiohooks at all). Success with no MixMonitor on the channel is possible
 * (it counts 0 hooks), so the service mutes only channels it saw start recording.
 * `StopMixMonitor` answers Success, or `Could not stop monitoring channel` when none runs.
 */
import type { ActionOutcome } from '../ami/port.js';
import type { AmiWatcher } from '../ami/watcher.js';

export type ControlWatcher = Pick<AmiWatcher, 'on' | 'send' | 'activeRecordings' | 'getVar'>;

/** The channel variable the service sets on the asking channel after a dialplan request. */
export const STATE_VAR = 'CONSENTLINE_RECORDING_STATE';

function describe(r: ActionOutcome): string {
  if (r.status === 'error') return `Asterisk answered: ${r.message}`;
  return r.status === 'timeout' ? 'no answer from Asterisk in time' : 'AMI not connected';
}

export class ChannelActions {
  readonly #w: ControlWatcher;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #unsubscribe: () => void;

  constructor(watcher: ControlWatcher) {
    this.#w = watcher;
    this.#unsubscribe = watcher.on('mixMonitorMuted', (e) => {
      const key = `${e.uniqueid}:${e.muted ? 1 : 0}`;
      for (const done of this.#waiters.get(key) ?? []) done();
      this.#waiters.delete(key);
    });
  }

  close(): void {
    this.#unsubscribe();
    for (const set of this.#waiters.values()) for (const done of set) done();
    this.#waiters.clear();
  }

  /**
   * Mutes (or unmutes) both directions of the channel's MixMonitor and waits, at most `timeoutMs`
   * in all, for the answer and the MixMonitorMute event. Null when confirmed, else why not.
   */
  async mute(channel: string, uniqueid: string, muted: boolean, timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    const key = `${uniqueid}:${muted ? 1 : 0}`;
    let seen = false;
    let wake: () => void = () => undefined;
    const published = new Promise<void>((resolve) => {
      wake = () => {
        seen = true;
        resolve();
      };
    });
    const set = this.#waiters.get(key) ?? new Set();
    set.add(wake);
    this.#waiters.set(key, set);
    try {
      const r = await this.#w.send({ Action: 'MixMonitorMute', Channel: channel, Direction: 'both', State: muted ? '1' : '0' }, timeoutMs);
      if (r.status !== 'success') return describe(r);
      const left = deadline - Date.now();
      if (!seen && left > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([published, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
        clearTimeout(timer);
      }
      return seen ? null : `Asterisk answered Success but published no MixMonitorMute (State ${muted ? 1 : 0}) within ${timeoutMs} ms`;
    } finally {
      set.delete(wake);
      if (set.size === 0 && this.#waiters.get(key) === set) this.#waiters.delete(key);
    }
  }

  /** StopMixMonitor: null when no MixMonitor runs on the channel any more (stopped now, or gone), else why not. */
  async stop(channel: string, timeoutMs: number): Promise<string | null> {
    const r = await this.#w.send({ Action: 'StopMixMonitor', Channel: channel }, timeoutMs);
    if (r.status === 'success') return null;
    // Nothing to stop: the channel hung up, or its MixMonitor is gone already.
    if (r.status === 'error' && /no such channel|could not stop monitoring/i.test(r.message)) return null;
    return describe(r);
  }

  /** Tells the asking channel the outcome (its subroutine may wait for it); best effort. */
  async tell(channel: string, state: string, timeoutMs: number): Promise<void> {
    if (channel === '') return;
    await this.#w.send({ Action: 'Setvar', Channel: channel, Variable: STATE_VAR, Value: state }, timeoutMs);
  }
}

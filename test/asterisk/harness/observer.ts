/**
 * An observer ARI application subscribed to every event (subscribeAll), which also plays the
 * caller: it originates Local channels whose caller half sits in its own Stasis app, sends DTMF
 * on that half and hangs it up. What it records is what the caller experienced, seen from Asterisk.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { AsteriskInstance } from './asterisk.js';

export const OBSERVER_APP = 'consentline-test-observer';

export interface AriEvent {
  readonly type: string;
  readonly channel?: { id: string; state: string; dialplan?: { context: string; exten: string; app_name?: string; app_data?: string } };
  readonly playback?: { id: string; media_uri: string; target_uri: string; language: string; state: string };
  readonly variable?: string;
  readonly value?: string;
  readonly application?: string;
  readonly args?: string[];
  readonly [key: string]: unknown;
}

export class Observer {
  readonly events: AriEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #base: string;
  readonly #auth: string;
  #ws!: WebSocket;

  private constructor(a: AsteriskInstance) {
    this.#base = `http://127.0.0.1:${a.httpPort}/ari`;
    this.#auth = `Basic ${Buffer.from(`${a.ariUser}:${a.ariPassword}`).toString('base64')}`;
  }

  static async connect(a: AsteriskInstance): Promise<Observer> {
    const o = new Observer(a);
    const key = encodeURIComponent(`${a.ariUser}:${a.ariPassword}`);
    o.#ws = new WebSocket(`ws://127.0.0.1:${a.httpPort}/ari/events?app=${OBSERVER_APP}&subscribeAll=true&api_key=${key}`);
    o.#ws.on('message', (data) => {
      o.events.push(JSON.parse(data.toString()) as AriEvent);
      for (const w of o.#waiters) w();
    });
    await new Promise<void>((resolve, reject) => {
      o.#ws.once('open', () => resolve());
      o.#ws.once('error', reject);
    });
    return o;
  }

  async request(method: string, path: string, query: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    const qs = new URLSearchParams(query).toString();
    const res = await fetch(`${this.#base}${path}${qs ? `?${qs}` : ''}`, { method, headers: { authorization: this.#auth } });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  /** Resolves with the first event (already seen or to come) that matches. */
  waitFor(what: string, match: (e: AriEvent) => boolean, timeoutMs = 20_000): Promise<AriEvent> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < this.events.length; seen++) {
          const e = this.events[seen]!;
          if (match(e)) {
            cleanup();
            resolve(e);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /**
   * A call into `context`/`exten` as a trunk would hand it over: the IVR half (;1) runs the
   * dialplan, already answered by the caller half (;2), which waits in this app for keys to press.
   */
  async call(exten: string, context = 'consentline-inbound'): Promise<TestCall> {
    const ivrId = `ivr-${randomUUID()}`;
    const callerId = `caller-${randomUUID()}`;
    const res = await this.request('POST', '/channels', {
      endpoint: 'Local/caller@consentline-test-caller',
      context,
      extension: exten,
      priority: '1',
      channelId: ivrId,
      otherChannelId: callerId,
      callerId: 'Test Caller <600100200>',
      formats: 'ulaw',
      timeout: '30',
    });
    if (res.status !== 200) throw new Error(`originate ${exten}@${context}: ${res.status} ${JSON.stringify(res.body)}`);
    return new TestCall(this, ivrId, callerId);
  }

  /**
   * A call as a trunk rings it: nobody answers the IVR half (;2) but ConsentLine or the dialplan;
   * the caller's half (;1) enters this app only once that happens (originate timeout 30 s).
   */
  async ringing(exten: string, context = 'consentline-test-trunk'): Promise<TestCall> {
    const ivrId = `ivr-${randomUUID()}`;
    const callerId = `caller-${randomUUID()}`;
    const res = await this.request('POST', '/channels', {
      endpoint: `Local/${exten}@${context}`,
      app: OBSERVER_APP,
      channelId: callerId,
      otherChannelId: ivrId,
      callerId: 'Test Caller <600100200>',
      formats: 'ulaw',
      timeout: '30',
    });
    if (res.status !== 200) throw new Error(`originate ${exten}@${context}: ${res.status} ${JSON.stringify(res.body)}`);
    return new TestCall(this, ivrId, callerId);
  }

  close(): void {
    this.#ws.close();
  }
}

const onChannel = (id: string) => (e: AriEvent) => e.channel?.id === id || e.playback?.target_uri === `channel:${id}`;

export class TestCall {
  constructor(
    readonly observer: Observer,
    /** The half that runs the shipped dialplan and meets ConsentLine. */
    readonly ivrId: string,
    /** The caller's half, in the observer app: keys are pressed here. */
    readonly callerId: string,
  ) {}

  #events(): AriEvent[] {
    return this.observer.events.filter(onChannel(this.ivrId));
  }

  waitFor(what: string, match: (e: AriEvent) => boolean, timeoutMs?: number): Promise<AriEvent> {
    return this.observer.waitFor(`${what} on ${this.ivrId}`, (e) => onChannel(this.ivrId)(e) && match(e), timeoutMs);
  }

  /** Waits for the `nth` start (1-based) of prompt `id` (sound:consentline/<id>) on the IVR half. */
  prompt(id: string, nth = 1, timeoutMs?: number): Promise<AriEvent> {
    const uri = `sound:consentline/${id}`;
    let seen = 0;
    return this.waitFor(`start #${nth} of ${uri}`, (e) => e.type === 'PlaybackStarted' && e.playback?.media_uri === uri && ++seen === nth, timeoutMs);
  }

  /**
   * Waits for the media that `started` began to end: PlaybackFinished, or, for a media of a list
   * that is not the last, the PlaybackContinuing naming it.
   */
  finished(started: AriEvent, timeoutMs?: number): Promise<AriEvent> {
    const { id, media_uri: media } = started.playback ?? {};
    return this.waitFor(
      `end of ${media} in playback ${id}`,
      (e) => e.playback?.id === id && (e.type === 'PlaybackFinished' || (e.type === 'PlaybackContinuing' && e.playback?.media_uri === media)),
      timeoutMs,
    );
  }

  /** Waits for the IVR half to run `app` in `context`. */
  reaches(context: string, app: string, timeoutMs?: number): Promise<AriEvent> {
    return this.waitFor(`${app} in ${context}`, (e) => e.type === 'ChannelDialplan' && e.channel?.dialplan?.context === context && e.channel.dialplan.app_name === app, timeoutMs);
  }

  async press(digits: string): Promise<void> {
    const res = await this.observer.request('POST', `/channels/${this.callerId}/dtmf`, { dtmf: digits, between: '200', duration: '120' });
    if (res.status !== 204) throw new Error(`DTMF ${digits} on ${this.callerId}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async hangup(): Promise<void> {
    await this.observer.request('DELETE', `/channels/${this.callerId}`);
  }

  gone(timeoutMs?: number): Promise<AriEvent> {
    return this.waitFor('ChannelDestroyed', (e) => e.type === 'ChannelDestroyed', timeoutMs);
  }

  /** Media started on the IVR half, in order. */
  played(): string[] {
    return this.#events().filter((e) => e.type === 'PlaybackStarted').map((e) => e.playback!.media_uri);
  }

  /** Languages the prompts were played in, in order. */
  playedLanguages(): string[] {
    return this.#events().filter((e) => e.type === 'PlaybackStarted').map((e) => e.playback!.language);
  }

  /** Last value of each channel variable set on the IVR half. */
  variables(): Record<string, string> {
    const vars: Record<string, string> = {};
    for (const e of this.#events()) if (e.type === 'ChannelVarset' && e.variable) vars[e.variable] = e.value ?? '';
    return vars;
  }

  /** Dialplan applications the IVR half ran, as "context,exten:App(data)". */
  dialplan(): string[] {
    return this.#events()
      .filter((e) => e.type === 'ChannelDialplan')
      .map((e) => `${e.channel!.dialplan!.context},${e.channel!.dialplan!.exten}:${e.channel!.dialplan!.app_name}(${e.channel!.dialplan!.app_data ?? ''})`);
  }

  /** The IVR half's state as of the event `upTo` (ChannelStateChange and the channel snapshots before it). */
  stateAt(upTo: AriEvent): string | undefined {
    let state: string | undefined;
    for (const e of this.observer.events) {
      if (e.channel?.id === this.ivrId) state = e.channel.state;
      if (e === upTo) break;
    }
    return state;
  }
}

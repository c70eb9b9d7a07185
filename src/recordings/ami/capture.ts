/**
 * Capture mode `ami`: ConsentLine starts MixMonitor itself, with the AMI `MixMonitor` action, once
 * the call's recording consent is in the ledger (the dialplan then never starts it).
 *
 * What Asterisk 22 does (app_mixmonitor.c, manager.c): the action is registered under the `system`
 * class, so the AMI user needs `write = system` (with `write = call` only, every MixMonitor action
 * is answered `Response: Error` / `Message: Permission denied`). Success is a bare
 * `Response: Success`; then `VarSet MIXMONITOR_FILENAME` (the full path) and `MixMonitorStart`
 * follow as events, which the watcher turns into `recordingStarted` as in dialplan mode.
 *
 * A consented call that cannot be recorded gets `recording.start_failed` in the ledger:
 * - `refused`: Asterisk answered an error (permission denied, no such channel, …);
 * - `ami_unavailable`: AMI was down when the action was due and the call had ended when it came back.
 * While AMI is down the start waits; on reconnect it is sent then (unless MIXMONITOR_FILENAME shows
 * that an action that timed out did start it). Consent variables set while AMI was down are read
 * again by the watcher's reconcile on channels it already followed.
 */
import type { EvidenceStore } from '../../evidence/store.js';
import type { Logger } from '../../shared/log.js';
import type { Metrics } from '../../shared/metrics.js';
import type { ConsentVar } from './events.js';
import type { AmiWatcher, MixMonitorOutcome } from './watcher.js';

export type StartFailure = 'refused' | 'ami_unavailable';

export interface AmiCaptureDeps {
  readonly watcher: AmiWatcher;
  readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
  readonly log: Logger;
  readonly metrics?: Metrics;
  readonly isDoNotRecord?: (lookupKey: string) => boolean;
  /** A valid ledger call id from CONSENT_ID, or null. */
  readonly callIdOf: (consentId: string | undefined) => string | null;
  /** The bare file name MixMonitor is told to write (never built from caller ID). */
  readonly fileName: (callId: string, uniqueid: string) => string;
}

/** How long a CONSENT_RECORDING=yes waits for the call's outcome to reach the ledger. */
const LEDGER_SETTLE_MS = 5_000;

/** Channels remembered (consent ids, decided starts): the oldest are forgotten past this. */
const REMEMBERED = 10_000;

function remember<K>(keys: Set<K> | Map<K, unknown>, key: K): void {
  if (keys.size < REMEMBERED) return;
  const oldest = keys.keys().next();
  if (!oldest.done && oldest.value !== key) keys.delete(oldest.value);
}

interface Due {
  readonly e: ConsentVar;
  readonly callId: string;
}

/**
 * @example
 * const capture = new AmiCapture({ watcher, evidence, log, callIdOf: asCallId, fileName: dialplanFileName });
 * // … on shutdown
 * await capture.stop();
 */
export class AmiCapture {
  readonly #d: AmiCaptureDeps;
  readonly #log: Logger;
  readonly #consentIds = new Map<string, string>();
  /** Channels whose start is decided (sent, refused or given up): never sent twice. */
  readonly #handled = new Set<string>();
  /** Starts due while AMI was down, sent again on reconnect. */
  readonly #waiting = new Map<string, Due>();
  readonly #unsubscribe: (() => void)[];
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(deps: AmiCaptureDeps) {
    this.#d = deps;
    this.#log = deps.log.child({ component: 'ami-capture' });
    this.#unsubscribe = [
      deps.watcher.on('consentVar', (e) => this.#onConsentVar(e)),
      deps.watcher.on('connected', () => this.#enqueue(() => this.#retryWaiting())),
    ];
  }

  /** Resolves when every start asked for so far is sent or decided. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** Starts still waiting for AMI (uniqueids). */
  waiting(): readonly string[] {
    return [...this.#waiting.keys()];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.#queue;
  }

  #enqueue(fn: () => Promise<void>): void {
    if (this.#stopped) return;
    this.#queue = this.#queue.then(fn).catch((err: unknown) => this.#log.error({ err }, 'AMI recording start could not be handled'));
  }

  #onConsentVar(e: ConsentVar): void {
    if (e.name === 'CONSENT_ID') {
      this.#consentIds.set(e.uniqueid, e.value);
      this.#consentIds.set(`linked:${e.linkedid}`, e.value);
      remember(this.#consentIds, `linked:${e.linkedid}`);
      remember(this.#consentIds, e.uniqueid);
      return;
    }
    if (e.name === 'CONSENT_RECORDING' && e.value === 'yes') this.#enqueue(() => this.#onConsent(e));
  }

  async #onConsent(e: ConsentVar): Promise<void> {
    if (this.#handled.has(e.uniqueid) || this.#waiting.has(e.uniqueid)) return;
    const callId = this.#d.callIdOf(this.#consentIds.get(e.uniqueid) ?? this.#consentIds.get(`linked:${e.linkedid}`));
    const fields = { uniqueid: e.uniqueid, callId };
    if (!callId) {
      this.#log.warn(fields, 'CONSENT_RECORDING=yes without a valid CONSENT_ID: not recording');
      return;
    }
    const call = await this.#settledCall(callId);
    if (call?.recording !== 'yes') {
      this.#log.warn(fields, 'CONSENT_RECORDING=yes on the channel but the ledger has no recording consent: not recording');
      return;
    }
    if (call.callerLookup && this.#d.isDoNotRecord?.(call.callerLookup)) {
      this.#log.info(fields, 'caller is on the do-not-record list: not recording');
      return;
    }
    await this.#send({ e, callId });
  }

  /**
   * The session sets the channel variables, then writes the call's outcome: the VarSet can come
   * before the ledger has the decision. Wait (bounded) for an outcome before judging the consent.
   */
  async #settledCall(callId: string): Promise<Awaited<ReturnType<AmiCaptureDeps['evidence']['getCall']>>> {
    const deadline = Date.now() + LEDGER_SETTLE_MS;
    for (;;) {
      const call = await this.#d.evidence.getCall(callId);
      if (!call || call.outcome !== null || Date.now() >= deadline || this.#stopped) return call;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async #send(due: Due): Promise<void> {
    const { e, callId } = due;
    const outcome = await this.#d.watcher.mixMonitor(e.channel, this.#d.fileName(callId, e.uniqueid));
    const fields = { uniqueid: e.uniqueid, callId };
    if (outcome.status === 'not-connected' || outcome.status === 'timeout') {
      this.#waiting.set(e.uniqueid, due);
      this.#log.warn({ ...fields, outcome: outcome.status }, 'AMI down when MixMonitor was due: it is sent when AMI is back');
      return;
    }
    this.#decided(e.uniqueid);
    if (outcome.status === 'accepted') {
      this.#log.info(fields, 'MixMonitor started over AMI');
      return;
    }
    await this.#failed(due, 'refused', refusalDetail(outcome));
  }

  async #retryWaiting(): Promise<void> {
    for (const [uniqueid, due] of [...this.#waiting]) {
      if (this.#stopped || !this.#d.watcher.connected) return;
      this.#waiting.delete(uniqueid);
      // A timed-out action may have reached Asterisk: MIXMONITOR_FILENAME then says it runs.
      const running = await this.#d.watcher.getVar(due.e.channel, 'MIXMONITOR_FILENAME');
      if (running.status === 'ok' && running.value !== '') {
        this.#decided(uniqueid);
        this.#log.info({ uniqueid, callId: due.callId }, 'MixMonitor was already running after the AMI outage');
        continue;
      }
      if (running.status === 'error') {
        this.#decided(uniqueid);
        await this.#failed(due, 'ami_unavailable', `the call ended while AMI was down (${running.message})`);
        continue;
      }
      if (running.status !== 'ok') {
        this.#waiting.set(uniqueid, due);
        return;
      }
      await this.#send(due);
    }
  }

  #decided(uniqueid: string): void {
    this.#handled.add(uniqueid);
    remember(this.#handled, uniqueid);
  }

  async #failed(due: Due, reason: StartFailure, detail: string): Promise<void> {
    const fields = { uniqueid: due.e.uniqueid, callId: due.callId, reason, detail };
    this.#log.error(fields, 'consented call not recorded: MixMonitor could not be started over AMI');
    this.#d.metrics?.failures.inc({ kind: 'recording_start_failed' });
    await this.#d.evidence.append({
      callId: due.callId,
      kind: 'recording.start_failed',
      data: { uniqueid: due.e.uniqueid, capture: 'ami', reason, detail },
    });
  }
}

function refusalDetail(outcome: Exclude<MixMonitorOutcome, { status: 'accepted' | 'not-connected' | 'timeout' }>): string {
  return outcome.status === 'error' ? outcome.message : `not sent: ${outcome.reason}`;
}

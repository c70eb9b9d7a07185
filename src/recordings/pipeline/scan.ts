import { randomUUID } from 'node:crypto';
import type { AmiWatcher } from '../ami/watcher.js';
import { errorCode } from './errors.js';
import { listedNames, type IntakePorts } from './intake-ports.js';
import { callIdFromFileName } from './names.js';
import { iso } from './options.js';

export interface ScanReport {
  readonly listed: number;
  readonly added: number;
  readonly closed: number;
}

/**
 * The periodic spool scan: picks up closed recordings nobody reported (AMI was down) as new
 * `spooled` rows, and closes `captured` rows whose stop was missed.
 */
export class SpoolScan {
  readonly #p: IntakePorts;
  readonly #o: { readonly intervalMs: number; readonly settleMs: number };
  readonly #watcher: AmiWatcher | null;
  /** Names seen without a modification time (ARI), and since when. */
  readonly #firstSeen = new Map<string, number>();
  #scanning: Promise<ScanReport> | null = null;
  #scanProblem: string | null = null;

  constructor(ports: IntakePorts, options: { intervalMs: number; settleMs: number }, watcher: AmiWatcher | null) {
    this.#p = ports;
    this.#o = options;
    this.#watcher = watcher;
  }

  /** Resolves when a scan in progress ends. */
  async idle(): Promise<void> {
    await this.#scanning;
  }

  /**
   * Files of the dialplan's name pattern, not being recorded per AMI, unchanged for `settleMs`.
   * A scan asked for while one runs joins it.
   */
  scanNow(): Promise<ScanReport> {
    if (this.#scanning) return this.#scanning;
    this.#scanning = this.#scan().finally(() => {
      this.#scanning = null;
    });
    return this.#scanning;
  }

  async #scan(): Promise<ScanReport> {
    const source = this.#p.source;
    let files;
    try {
      files = await source.list();
    } catch (err) {
      const problem = errorCode(err);
      if (this.#scanProblem !== problem) {
        // A known condition (the spool dir missing) is one line saying what to do, not a stack.
        if ((err as { expected?: unknown }).expected === true) this.#p.log.warn({ code: problem }, `${(err as Error).message}; the scan retries every ${this.#o.intervalMs / 1000} s`);
        else this.#p.log.warn({ code: problem, err }, 'recording scan cannot list its source; retrying at the next scan');
      }
      this.#scanProblem = problem;
      return { listed: 0, added: 0, closed: 0 };
    }
    if (this.#scanProblem) this.#p.log.info('recording scan lists its source again');
    this.#scanProblem = null;
    // The watcher's list of running recordings is only current while AMI is up; during an outage
    // the settle time alone decides (a file unchanged that long is closed).
    const active = new Set<string>();
    const watcher = this.#watcher;
    for (const a of watcher?.connected ? watcher.activeRecordings() : []) {
      if (a.file === undefined) continue;
      const c = await source.nameOf(a.file);
      if (c.status === 'ok') active.add(c.name);
    }
    const now = this.#p.clock.now();
    const seen = new Set<string>();
    let added = 0;
    let closed = 0;
    const fresh: { name: string; since: number }[] = [];
    for (const f of files) {
      seen.add(f.name);
      if (this.#p.stopped()) break;
      if (active.has(f.name)) continue;
      let since = f.mtimeMs;
      if (since === null) {
        since = this.#firstSeen.get(f.name) ?? now;
        this.#firstSeen.set(f.name, since);
      }
      if (now - since < this.#o.settleMs) continue;
      const nowIso = iso(now);
      const live = await this.#p.repo.liveBySource(source.kind, f.name);
      if (live) {
        // A row of no spool (before migration 0021) whose file this spool lists is this spool's.
        if (live.spool_id === null && (await this.#p.repo.adoptSpool(live.id, this.#p.claims.spoolId))) {
          this.#p.log.info({ recordingId: live.id, spoolId: this.#p.claims.spoolId }, 'recording from before spool ids put on this spool');
        }
        if (live.state !== 'captured' || !this.#p.claims.onOurSpool(live)) continue;
        const row = await this.#p.repo.markSpooled(live.id, nowIso, 'scan', nowIso, this.#p.claims.hold());
        if (!row) continue;
        closed++;
        this.#p.log.warn({ recordingId: row.id, callId: row.call_id }, 'recording closed by the scan: its end was not reported over AMI');
        await this.#p.ledger.announce(row.id, () => this.#p.ledger.stopped(row, { reason: 'scan', recovered: true }, true));
        continue;
      }
      if (await this.#p.repo.hasFailed(source.kind, f.name)) continue;
      fresh.push({ name: f.name, since });
    }
    for (const name of this.#firstSeen.keys()) if (!seen.has(name)) this.#firstSeen.delete(name);
    // A file that another worker or instance stored and removed since the listing has no live row
    // any more, yet is in `files`: only the names the source still lists after that check are new.
    const present = fresh.length === 0 ? new Set<string>() : await listedNames(this.#p.source);
    const nowIso = iso(now);
    for (const f of fresh) {
      if (!present.has(f.name) || this.#p.stopped()) continue;
      const id = randomUUID();
      const callId = callIdFromFileName(f.name);
      const { row, created } = await this.#p.repo.insert(
        {
          id,
          callId,
          source: source.kind,
          sourceName: f.name,
          foundBy: 'scan',
          uniqueid: null,
          linkedid: null,
          state: 'spooled',
          startedAt: iso(f.since),
          stoppedAt: nowIso,
          stopReason: 'scan',
          contextId: callId ?? id,
          spoolId: this.#p.claims.spoolId,
          claim: this.#p.claims.hold(),
        },
        nowIso,
      );
      if (!created) continue;
      added++;
      this.#p.log.warn({ recordingId: row.id, callId }, 'recording found by the scan without any AMI event');
      await this.#p.ledger.announce(row.id, () => this.#p.ledger.stopped(row, { reason: 'scan', foundBy: 'scan' }, false));
    }
    if (added || closed) {
      await this.#p.queue.moved();
      this.#p.poke();
    }
    return { listed: files.length, added, closed };
  }
}

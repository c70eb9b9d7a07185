import { DeleteObjectsCommand, type ObjectIdentifier } from '@aws-sdk/client-s3';
import { ObjectStoreError } from '../recordings/storage/errors.js';
import type { DeleteResult, DeleteTarget, ObjectStore } from '../recordings/storage/port.js';
import { S3ObjectStore, toStoreError } from '../recordings/storage/s3-store.js';

/** One recording's object to delete. */
export interface DeleteItem {
  readonly id: string;
  readonly key: string;
  readonly versionId: string | null;
}

/** What became of one recording's object. Only `deleted` and `absent` count as gone. */
export type ItemOutcome =
  | { readonly status: 'deleted' }
  | { readonly status: 'absent' }
  | { readonly status: 'locked'; readonly detail: string }
  | { readonly status: 'failed'; readonly detail: string; readonly attempts: number };

export interface DeleterOptions {
  /** Attempts per batch and per failed item before it is reported as failed. */
  readonly attempts: number;
  /** Waits between attempts (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly backoffMs?: number;
}

/**
 * Deletes recordings' objects through the ObjectStore port, in one batch call per page
 * (S3: DeleteObjects of up to 1,000), retrying what failed. A recorded version id is deleted
 * by version (a real delete in a versioned bucket); a key without one gets every version
 * deleted. `bypassGovernance` (erasure only, when the configuration allows it) sends
 * BypassGovernanceRetention: GOVERNANCE locks give way, COMPLIANCE ones never do.
 */
export class RecordingDeleter {
  readonly #store: ObjectStore;
  readonly #bucket: string | null;
  readonly #o: Required<DeleterOptions>;

  constructor(store: ObjectStore, opts: DeleterOptions & { readonly bucket?: string }) {
    this.#store = store;
    this.#bucket = opts.bucket ?? null;
    this.#o = { attempts: opts.attempts, sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))), backoffMs: opts.backoffMs ?? 250 };
  }

  get canBypassGovernance(): boolean {
    return this.#store instanceof S3ObjectStore && this.#bucket !== null;
  }

  async delete(items: readonly DeleteItem[], opts: { bypassGovernance?: boolean } = {}): Promise<Map<string, ItemOutcome>> {
    const out = new Map<string, ItemOutcome>();
    let pending = [...items];
    let lastError = new Map<string, string>();
    for (let attempt = 1; attempt <= this.#o.attempts && pending.length > 0; attempt++) {
      if (attempt > 1) await this.#o.sleep(this.#o.backoffMs * 2 ** (attempt - 2));
      let results: Map<string, ItemOutcome>;
      try {
        results = await this.#once(pending, opts.bypassGovernance === true);
      } catch (err) {
        const detail = err instanceof ObjectStoreError ? err.message : `unexpected: ${(err as Error).message}`;
        lastError = new Map(pending.map((p) => [p.id, detail]));
        continue;
      }
      const again: DeleteItem[] = [];
      lastError = new Map();
      for (const it of pending) {
        const r = results.get(it.id) ?? { status: 'failed', detail: 'no result from the store', attempts: attempt };
        if (r.status === 'failed') {
          again.push(it);
          lastError.set(it.id, r.detail);
        } else out.set(it.id, r);
      }
      pending = again;
    }
    for (const it of pending) out.set(it.id, { status: 'failed', detail: lastError.get(it.id) ?? 'not attempted', attempts: this.#o.attempts });
    return out;
  }

  async #once(items: readonly DeleteItem[], bypass: boolean): Promise<Map<string, ItemOutcome>> {
    const byKey = new Map(items.map((i) => [i.key, i]));
    const versioned: DeleteTarget[] = items.filter((i) => i.versionId).map((i) => ({ key: i.key, versionId: i.versionId! }));
    const plain = items.filter((i) => !i.versionId).map((i) => i.key);
    const results: DeleteResult[] = [];
    if (bypass && this.canBypassGovernance) {
      results.push(...(await this.#bypassDelete(versioned.filter((t): t is { key: string; versionId: string } => typeof t !== 'string'))));
      if (plain.length) results.push(...(await this.#store.delete(plain, { allVersions: true })).map((r) => r));
      // Plain keys that came back locked get one more try by version with the bypass header.
      const lockedPlain = results.filter((r) => r.status === 'locked' && r.versionId && plain.includes(r.key));
      if (lockedPlain.length) {
        const retry = await this.#bypassDelete(lockedPlain.map((r) => ({ key: r.key, versionId: r.versionId! })));
        for (const r of retry) {
          const i = results.findIndex((x) => x.key === r.key && x.versionId === r.versionId);
          if (i >= 0) results[i] = r;
        }
      }
    } else {
      if (versioned.length) results.push(...(await this.#store.delete(versioned)));
      if (plain.length) results.push(...(await this.#store.delete(plain, { allVersions: true })));
    }
    // One recording may have several results (every version of a plain key): gone only if all are.
    const agg = new Map<string, ItemOutcome>();
    for (const r of results) {
      const item = byKey.get(r.key);
      if (!item) continue;
      const prev = agg.get(item.id);
      const next: ItemOutcome =
        r.status === 'locked'
          ? { status: 'locked', detail: r.detail }
          : r.status === 'failed'
            ? { status: 'failed', detail: r.detail, attempts: 1 }
            : { status: r.status };
      agg.set(item.id, prev ? worse(prev, next) : next);
    }
    return agg;
  }

  async #bypassDelete(targets: ReadonlyArray<{ key: string; versionId: string }>): Promise<DeleteResult[]> {
    const s3 = (this.#store as S3ObjectStore).client;
    const out: DeleteResult[] = [];
    for (let i = 0; i < targets.length; i += 1000) {
      const batch: ObjectIdentifier[] = targets.slice(i, i + 1000).map((t) => ({ Key: t.key, VersionId: t.versionId }));
      let res;
      try {
        res = await s3.send(new DeleteObjectsCommand({ Bucket: this.#bucket!, BypassGovernanceRetention: true, Delete: { Objects: batch, Quiet: false } }));
      } catch (e) {
        throw toStoreError(e, `delete ${batch.length} objects (bypassing governance retention)`);
      }
      for (const d of res.Deleted ?? []) out.push({ key: d.Key ?? '', ...(d.VersionId ? { versionId: d.VersionId } : {}), status: 'deleted' });
      for (const er of res.Errors ?? []) {
        const base = { key: er.Key ?? '', ...(er.VersionId ? { versionId: er.VersionId } : {}) };
        const detail = [er.Code, er.Message].filter(Boolean).join(': ');
        if (er.Code === 'AccessDenied' || er.Code === 'ObjectLocked') out.push({ ...base, status: 'locked', detail });
        else if (er.Code === 'NoSuchKey' || er.Code === 'NoSuchVersion') out.push({ ...base, status: 'absent' });
        else out.push({ ...base, status: 'failed', detail });
      }
    }
    return out;
  }
}

const RANK = { deleted: 0, absent: 0, locked: 2, failed: 1 } as const;

function worse(a: ItemOutcome, b: ItemOutcome): ItemOutcome {
  if (RANK[b.status] > RANK[a.status]) return b;
  if (a.status === 'absent' && b.status === 'deleted') return b;
  return a;
}

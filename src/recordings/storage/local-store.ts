import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, constants as fsc } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { ObjectStoreError } from './errors.js';
import { assertValidKey } from './keys.js';
import type { ByteRange, DeleteResult, DeleteTarget, HeadResult, LocationCheck, ObjectStore, PutOptions, PutResult } from './port.js';

interface Sidecar {
  readonly bytes: number;
  readonly sha256: string;
  readonly storedAt: string;
  readonly retainUntil?: string;
}

const SIDECAR = '.meta.json';
const TMP_DIR = '.tmp';

/**
 * The embedded default: ciphertext files in a local directory, with a JSON sidecar holding size,
 * sha256 and retention. Writes are atomic (temp file, fsync, link into place, fsync directory),
 * so a crash leaves either nothing or a complete object; `link` fails on an existing name, which
 * makes the put conditional without a race.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly #root: string;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;

  constructor(config: { readonly root: string }, deps: { clock?: Clock; log?: Logger } = {}) {
    this.#root = config.root;
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.log;
  }

  #path(key: string): string {
    assertValidKey(key);
    if (key.endsWith(SIDECAR) || key.split('/')[0] === TMP_DIR) throw new ObjectStoreError('INVALID', `reserved object key ${key}`);
    return join(this.#root, key);
  }

  async put(key: string, body: string | Readable, opts: PutOptions): Promise<PutResult> {
    const path = this.#path(key);
    if (!/^[0-9a-f]{64}$/.test(opts.sha256)) throw new ObjectStoreError('INVALID', 'sha256 must be 64 lowercase hex characters');
    const existing = await this.head(key);
    if (existing) {
      if (typeof body !== 'string') body.destroy();
      return this.#compare(key, existing, opts);
    }
    const tmpDir = join(this.#root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const input = typeof body === 'string' ? createReadStream(body) : body;
      const tap = new Transform({
        transform(chunk: Buffer, _e, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(input, tap, createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
      const sha256 = hash.digest('hex');
      if (bytes !== opts.bytes || sha256 !== opts.sha256) {
        throw new ObjectStoreError('INTEGRITY', `put ${key}: received ${bytes} bytes / sha256 ${sha256}, expected ${opts.bytes} / ${opts.sha256}`);
      }
      await fsyncPath(tmp);
      const sidecar: Sidecar = {
        bytes,
        sha256,
        storedAt: new Date(this.#clock.now()).toISOString(),
        ...(opts.retainUntil ? { retainUntil: opts.retainUntil.toISOString() } : {}),
      };
      // Data first, by link: only the writer that wins the name writes the sidecar. A crash in
      // between leaves data without sidecar, which head() handles by hashing the file.
      try {
        await link(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const other = await this.head(key);
        if (!other) throw new ObjectStoreError('CONFLICT', `put ${key}: concurrent write; retry`);
        return this.#compare(key, other, opts);
      }
      const tmpMeta = `${tmp}.meta`;
      await writeFileSynced(tmpMeta, JSON.stringify(sidecar));
      await rename(tmpMeta, path + SIDECAR);
      await fsyncPath(dirname(path));
      return { etag: `"${sha256}"`, created: true };
    } catch (e) {
      if (e instanceof ObjectStoreError) throw e;
      throw new ObjectStoreError('UNAVAILABLE', `put ${key}: ${(e as Error).message}`, { cause: e });
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.meta`, { force: true });
    }
  }

  #compare(key: string, existing: HeadResult, opts: PutOptions): PutResult {
    if (existing.sha256 === opts.sha256 && existing.bytes === opts.bytes) {
      this.#log?.info({ key }, 'object already stored with the same sha256: put is a no-op');
      return { etag: existing.etag ?? '', created: false };
    }
    throw new ObjectStoreError('CONFLICT', `put ${key}: a different object is already stored (sha256 ${existing.sha256}, ours ${opts.sha256})`);
  }

  async #sidecar(path: string): Promise<Sidecar | null> {
    try {
      return JSON.parse(await readFile(path + SIDECAR, 'utf8')) as Sidecar;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ObjectStoreError('UNAVAILABLE', `reading metadata of ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  async head(key: string): Promise<HeadResult | null> {
    const path = this.#path(key);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ObjectStoreError('UNAVAILABLE', `head ${key}: ${(e as Error).message}`, { cause: e });
    }
    const meta = await this.#sidecar(path);
    const sha256 = meta?.sha256 ?? (await hashFile(path));
    return { bytes: size, sha256, etag: `"${sha256}"` };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.#path(key);
    try {
      await access(path, fsc.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'UNAVAILABLE';
      throw new ObjectStoreError(code, `get ${key}`, { cause: e });
    }
    return createReadStream(path, range ? { start: range.start, ...(range.end !== undefined ? { end: range.end } : {}) } : {});
  }

  async delete(targets: readonly DeleteTarget[]): Promise<DeleteResult[]> {
    const out: DeleteResult[] = [];
    for (const t of targets) {
      const key = typeof t === 'string' ? t : t.key;
      const path = this.#path(key);
      const meta = await this.#sidecar(path);
      if (meta?.retainUntil && Date.parse(meta.retainUntil) > this.#clock.now()) {
        out.push({ key, status: 'locked', detail: `retained until ${meta.retainUntil}` });
        continue;
      }
      try {
        await unlink(path);
        await rm(path + SIDECAR, { force: true });
        out.push({ key, status: 'deleted' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          await rm(path + SIDECAR, { force: true });
          out.push({ key, status: 'absent' });
        } else out.push({ key, status: 'failed', detail: (e as Error).message });
      }
    }
    return out;
  }

  async list(prefix: string): Promise<string[]> {
    if (!prefix.endsWith('/')) throw new ObjectStoreError('INVALID', 'a list prefix ends with "/"');
    assertValidKey(prefix.slice(0, -1));
    let entries;
    try {
      entries = await readdir(join(this.#root, prefix), { recursive: true, withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ObjectStoreError('UNAVAILABLE', `list ${prefix}: ${(e as Error).message}`, { cause: e });
    }
    return entries
      .filter((d) => d.isFile() && !d.name.endsWith(SIDECAR))
      .map((d) => relative(this.#root, join(d.parentPath, d.name)).split(sep).join('/'))
      .filter((key) => key.split('/')[0] !== TMP_DIR);
  }

  async checkLocation(): Promise<LocationCheck> {
    const location = `local:${this.#root}`;
    try {
      await mkdir(this.#root, { recursive: true, mode: 0o700 });
      await access(this.#root, fsc.R_OK | fsc.W_OK);
      return { ok: true, location };
    } catch (e) {
      return { ok: false, location, reason: `directory ${this.#root} not writable: ${(e as Error).message}` };
    }
  }

  async close(): Promise<void> {}
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeFileSynced(path: string, data: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

import { constants as fsc } from 'node:fs';
import { lstat, open, readdir, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isSafeRecordingName, resolveSpoolPath, type SpoolPathRejection } from '../ami/spool-path.js';
import { AriFetchError, isValidStoredName, type AriRecordingsClient } from '../ari-fetch/client.js';
import { DIALPLAN_FILE_PATTERN } from './names.js';

export type NameCheck =
  | { readonly status: 'ok'; readonly name: string }
  | { readonly status: 'rejected'; readonly reason: SpoolPathRejection | 'bad-stored-name' | 'outside-recording-dir' };

export type OpenOutcome =
  /** The caller reads `handle` and closes it. */
  | { readonly status: 'ok'; readonly handle: FileHandle; readonly size: number }
  | { readonly status: 'missing'; readonly detail: string }
  | { readonly status: 'rejected'; readonly reason: string };

export interface ListedFile {
  readonly name: string;
  /** Last modification, when the source knows it (spool dir); else null. */
  readonly mtimeMs: number | null;
}

/**
 * Where the pipeline reads recordings from and removes them after a verified upload: the shared
 * spool dir, or Asterisk's stored recordings over ARI. Names are plain file names, checked here.
 */
export interface RecordingSource {
  readonly kind: 'spool' | 'ari';
  /** Turns a path Asterisk reported (MIXMONITOR_FILENAME, untrusted) into a source name, or refuses it. */
  nameOf(reported: string): Promise<NameCheck>;
  /** Opens the recording for reading; `workPath` is where a fetched copy may be kept (ARI). */
  open(name: string, workPath: string): Promise<OpenOutcome>;
  /** Removes the recording at the source (and a fetched copy at `workPath`). Absent is fine. */
  remove(name: string, workPath: string): Promise<void>;
  /** Names that look like the dialplan's recordings, for the periodic scan. */
  list(): Promise<ListedFile[]>;
}

/** The monitor dir shared with Asterisk. Every path goes through resolveSpoolPath; opens use O_NOFOLLOW. */
export class SpoolSource implements RecordingSource {
  readonly kind = 'spool' as const;
  readonly #dir: string;
  readonly #asteriskDir: string | undefined;

  constructor(opts: { dir: string; asteriskDir?: string }) {
    this.#dir = opts.dir;
    this.#asteriskDir = opts.asteriskDir;
  }

  async nameOf(reported: string): Promise<NameCheck> {
    const r = await resolveSpoolPath(this.#dir, reported, this.#asteriskDir ? { asteriskDir: this.#asteriskDir } : {});
    if (r.status === 'ok') return { status: 'ok', name: r.name };
    // MixMonitor creates the file a moment after it reports the name: a well-formed name whose file
    // is not there (yet) is fine; the worker checks the file itself before reading.
    if (r.reason === 'not-found' || r.reason === 'spool-dir-unavailable') {
      const name = reported.slice(reported.lastIndexOf('/') + 1);
      if (isSafeRecordingName(name)) return { status: 'ok', name };
    }
    return { status: 'rejected', reason: r.reason };
  }

  async open(name: string): Promise<OpenOutcome> {
    const r = await resolveSpoolPath(this.#dir, name);
    if (r.status === 'rejected') {
      return r.reason === 'not-found' || r.reason === 'spool-dir-unavailable'
        ? { status: 'missing', detail: `${name}: ${r.reason}` }
        : { status: 'rejected', reason: r.reason };
    }
    // The check and the open are two steps: O_NOFOLLOW refuses a symlink swapped in between.
    let fh;
    try {
      fh = await open(r.path, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { status: 'missing', detail: `${name}: not-found` };
      if (code === 'ELOOP') return { status: 'rejected', reason: 'symlink' };
      throw e;
    }
    const st = await fh.stat();
    if (!st.isFile() || st.nlink > 1) {
      await fh.close();
      return { status: 'rejected', reason: st.isFile() ? 'hard-link' : 'not-regular-file' };
    }
    return { status: 'ok', handle: fh, size: st.size };
  }

  async remove(name: string): Promise<void> {
    const r = await resolveSpoolPath(this.#dir, name);
    if (r.status === 'rejected') {
      if (r.reason === 'not-found') return;
      throw Object.assign(new Error(`refusing to delete ${name}: ${r.reason}`), { code: 'SOURCE_REJECTED' });
    }
    try {
      await unlink(r.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async list(): Promise<ListedFile[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (e) {
      throw Object.assign(new Error(spoolDirProblem(this.#dir, e)), { code: 'SPOOL_DIR_UNAVAILABLE', expected: true });
    }
    const out: ListedFile[] = [];
    for (const name of names) {
      if (!DIALPLAN_FILE_PATTERN.test(name) || !isSafeRecordingName(name)) continue;
      try {
        const st = await lstat(path.join(this.#dir, name));
        if (st.isFile()) out.push({ name, mtimeMs: st.mtimeMs });
      } catch {
        /* gone meanwhile */
      }
    }
    return out;
  }
}

/** What is wrong with the spool dir and what to do, in one line (no stack: issue 19, log frictions). */
function spoolDirProblem(dir: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `recording spool dir ${dir} does not exist: create it (Asterisk's monitor dir, shared with this service) or set recordings.spoolDir`;
  if (code === 'EACCES' || code === 'EPERM') return `recording spool dir ${dir} is not readable by this service: give its user read and write access (e.g. the asterisk group)`;
  if (code === 'ENOTDIR') return `recording spool dir ${dir} is not a directory: set recordings.spoolDir to Asterisk's monitor dir`;
  return `recording spool dir ${dir} cannot be listed (${code ?? (e as Error).message})`;
}

/**
 * Asterisk's stored recordings over ARI (no shared disk). Stored names are file names without the
 * format: `consentline-<id>-<uniqueid>` for `…/recording/consentline-<id>-<uniqueid>.wav`. The file
 * is fetched into the work dir once and read from there.
 */
export class AriSource implements RecordingSource {
  readonly kind = 'ari' as const;
  readonly #client: AriRecordingsClient;
  readonly #recordingDir: string;

  constructor(opts: { client: AriRecordingsClient; recordingDir: string }) {
    this.#client = opts.client;
    this.#recordingDir = path.resolve(opts.recordingDir);
  }

  async nameOf(reported: string): Promise<NameCheck> {
    if (typeof reported !== 'string' || reported === '' || reported.includes('\0')) return { status: 'rejected', reason: 'empty' };
    if (reported.split('/').some((s) => s === '..' || s === '.')) return { status: 'rejected', reason: 'traversal' };
    let file = reported;
    if (reported.includes('/')) {
      const dir = reported.slice(0, reported.lastIndexOf('/'));
      if (!reported.startsWith('/') || dir !== this.#recordingDir) return { status: 'rejected', reason: 'outside-recording-dir' };
      file = reported.slice(reported.lastIndexOf('/') + 1);
    }
    if (!isSafeRecordingName(file) || !file.endsWith('.wav')) return { status: 'rejected', reason: 'bad-name' };
    const name = file.slice(0, -'.wav'.length);
    return isValidStoredName(name) ? { status: 'ok', name } : { status: 'rejected', reason: 'bad-stored-name' };
  }

  async open(name: string, workPath: string): Promise<OpenOutcome> {
    if (!isValidStoredName(name)) return { status: 'rejected', reason: 'bad-stored-name' };
    let size: number;
    try {
      size = (await stat(workPath)).size;
    } catch {
      try {
        size = (await this.#client.fetchToFile(name, workPath)).bytes;
      } catch (e) {
        if (e instanceof AriFetchError && e.code === 'NOT_FOUND') return { status: 'missing', detail: `${name}: not on Asterisk` };
        throw e;
      }
    }
    return { status: 'ok', handle: await open(workPath, fsc.O_RDONLY | fsc.O_NOFOLLOW), size };
  }

  async remove(name: string, workPath: string): Promise<void> {
    await this.#client.delete(name);
    await rm(workPath, { force: true });
  }

  async list(): Promise<ListedFile[]> {
    const all = await this.#client.list();
    return all
      .filter((r) => r.format === 'wav' && isValidStoredName(r.name) && DIALPLAN_FILE_PATTERN.test(`${r.name}.wav`))
      .map((r) => ({ name: r.name, mtimeMs: null }));
  }
}

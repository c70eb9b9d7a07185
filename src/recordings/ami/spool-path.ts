/**
 * File names reported over AMI (MIXMONITOR_FILENAME) are untrusted input: anyone who can set a
 * channel variable or shape a dialplan can make them point anywhere. Only a regular file directly
 * inside the configured spool dir, with a plain name, is accepted.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Letters, digits, `.`, `_`, `-`, then one of MixMonitor's formats. No leading dot.
 * A caller-ID-looking `+48….wav` does not match (`+`); digits-only names do, but ConsentLine never
 * builds names from caller ID: the dialplan names files after UNIQUEID / CONSENT_ID.
 */
export const RECORDING_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(wav|WAV|gsm|sln|sln16)$/;

const MAX_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

/** True when `name` is a bare file name ConsentLine accepts for a recording. */
export function isSafeRecordingName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && RECORDING_NAME_PATTERN.test(name);
}

export type SpoolPathRejection =
  | 'empty'
  | 'too-long'
  | 'nul-byte'
  | 'traversal'
  | 'outside-spool'
  | 'bad-name'
  | 'not-found'
  | 'symlink'
  | 'not-regular-file'
  | 'hard-link'
  | 'spool-dir-unavailable';

export type SpoolPathResult =
  | {
      readonly status: 'ok';
      /** Absolute path inside the spool dir (the spool dir's real path joined with `name`). */
      readonly path: string;
      readonly name: string;
      readonly size: number;
    }
  | { readonly status: 'rejected'; readonly reason: SpoolPathRejection };

export interface SpoolPathOptions {
  /**
   * The monitor dir as Asterisk sees it, when ConsentLine mounts it elsewhere (containers):
   * absolute reported paths may sit in either. Defaults to the spool dir itself.
   */
  readonly asteriskDir?: string;
}

const reject = (reason: SpoolPathRejection): SpoolPathResult => ({ status: 'rejected', reason });

/**
 * Resolves a reported recording file name to a file in `spoolDir`, or says why not.
 * Accepts a bare name (`x.wav`) or an absolute path whose directory is exactly the spool dir
 * (or `asteriskDir`). Rejects `..`/`.` segments, other directories (including sub-directories),
 * NUL and control characters, names outside {@link RECORDING_NAME_PATTERN}, symlinks, anything
 * but a regular file, and files with more than one hard link.
 *
 * The check and a later open are two steps: open the returned path with `O_NOFOLLOW`.
 *
 * @example
 * const r = await resolveSpoolPath('/var/spool/asterisk/monitor', event.path);
 * if (r.status === 'rejected') log.warn({ reason: r.reason }, 'recording path rejected');
 */
export async function resolveSpoolPath(
  spoolDir: string,
  reported: string,
  opts: SpoolPathOptions = {},
): Promise<SpoolPathResult> {
  if (typeof reported !== 'string' || reported === '') return reject('empty');
  if (reported.length > MAX_PATH_LENGTH) return reject('too-long');
  if (reported.includes('\0')) return reject('nul-byte');

  const segments = reported.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return reject('traversal');

  let name: string;
  if (reported.startsWith('/')) {
    // Compare the directory as written: no normalisation that could fold `//` or other tricks away.
    const dir = reported.slice(0, reported.lastIndexOf('/'));
    name = reported.slice(reported.lastIndexOf('/') + 1);
    const allowed = [path.resolve(spoolDir), ...(opts.asteriskDir ? [path.resolve(opts.asteriskDir)] : [])];
    if (!allowed.includes(dir)) return reject('outside-spool');
  } else {
    if (reported.includes('/') || reported.includes('\\')) return reject('outside-spool');
    name = reported;
  }
  if (!isSafeRecordingName(name)) return reject('bad-name');

  let realSpool: string;
  try {
    realSpool = await realpath(spoolDir);
  } catch {
    return reject('spool-dir-unavailable');
  }
  const candidate = path.join(realSpool, name);

  let st;
  try {
    st = await lstat(candidate);
  } catch {
    return reject('not-found');
  }
  if (st.isSymbolicLink()) return reject('symlink');
  if (!st.isFile()) return reject('not-regular-file');
  // A hard link can make a file elsewhere appear inside the spool dir.
  if (st.nlink > 1) return reject('hard-link');

  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return reject('not-found');
  }
  if (path.dirname(real) !== realSpool) return reject('outside-spool');

  return { status: 'ok', path: real, name, size: st.size };
}

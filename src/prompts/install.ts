import { chmod, copyFile, mkdir, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DEFAULTS } from '../config/defaults.js';
import { PromptCatalogError, loadPromptCatalog, sha256OfBytes, type AudioFormat } from './manifest.js';

/** Asterisk's sounds directory on Debian/Ubuntu packages and source installs. */
export const DEFAULT_ASTERISK_SOUNDS_DIR = '/var/lib/asterisk/sounds';

export interface InstallPromptsOptions {
  /** The prompts directory holding manifest.json and sounds/ (default ./audio-prompts). */
  readonly from?: string;
  /** Asterisk's sounds directory (default /var/lib/asterisk/sounds). */
  readonly soundsDir?: string;
  /** Only these languages (default: every language in the manifest). */
  readonly langs?: readonly string[];
}

export interface InstalledFile {
  readonly id: string;
  readonly lang: string;
  readonly format: AudioFormat;
  readonly dest: string;
  readonly sha256: string;
  /** "copied": written and verified; "unchanged": already there with the right hash. */
  readonly action: 'copied' | 'unchanged';
}

export interface InstallPromptsResult {
  readonly soundsDir: string;
  readonly files: readonly InstalledFile[];
  /**
   * Files in <soundsDir>/<lang>/consentline/ that the manifest does not list, e.g. an old
   * notice.g722. Asterisk may prefer them over the installed ones on some calls; they are
   * reported, never deleted.
   */
  readonly extraneous: readonly string[];
}

/**
 * Copies the prompts into Asterisk's sounds directory as <soundsDir>/<lang>/consentline/<id>.<ext>.
 * The source files are verified against manifest.json first; each copy is written to a
 * temporary name, renamed into place and re-hashed. Throws PromptCatalogError when the
 * source does not match its manifest (code PROMPT_FILES_INVALID, MANIFEST_*) or a copy
 * does not read back with the expected hash (code INSTALL_FAILED).
 *
 * CLI: `consentline prompts install [--from ./audio-prompts] [--sounds-dir /var/lib/asterisk/sounds] [--lang pl]`.
 * Run it as a user that may write the sounds directory (root, or asterisk); files get mode 0644.
 *
 * @example
 *   const r = await installPrompts({ from: './audio-prompts' });
 *   console.log(`${r.files.filter((f) => f.action === 'copied').length} copied`);
 */
export async function installPrompts(opts: InstallPromptsOptions = {}): Promise<InstallPromptsResult> {
  const from = resolve(opts.from ?? DEFAULTS.promptsDir);
  const soundsDir = resolve(opts.soundsDir ?? DEFAULT_ASTERISK_SOUNDS_DIR);
  const catalog = await loadPromptCatalog(from);
  const langs = opts.langs ?? catalog.languages;
  const unknown = langs.filter((l) => !catalog.languages.includes(l));
  if (unknown.length > 0) {
    throw new PromptCatalogError('PROMPT_MISSING', `no prompts for language(s) ${unknown.join(', ')} in ${from} (has: ${catalog.languages.join(', ')})`);
  }

  const files: InstalledFile[] = [];
  const failures: string[] = [];
  const expected = new Map<string, Set<string>>();
  for (const entry of catalog.entries()) {
    if (!langs.includes(entry.lang)) continue;
    const destDir = join(soundsDir, entry.lang, DEFAULTS.soundsSubdir);
    const names = expected.get(destDir) ?? new Set<string>();
    expected.set(destDir, names);
    for (const file of entry.files) {
      const name = `${entry.id}.${file.format}`;
      names.add(name);
      const dest = join(destDir, name);
      if ((await hashOrUndefined(dest)) === file.sha256) {
        files.push({ id: entry.id, lang: entry.lang, format: file.format, dest, sha256: file.sha256, action: 'unchanged' });
        continue;
      }
      await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
      const tmp = `${dest}.${process.pid}.tmp`;
      try {
        await copyFile(file.path, tmp);
        await chmod(tmp, 0o644);
        await rename(tmp, dest);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        failures.push(`${dest}: ${(err as Error).message}`);
        continue;
      }
      const got = await hashOrUndefined(dest);
      if (got !== file.sha256) {
        failures.push(`${dest}: reads back with SHA-256 ${got ?? '(unreadable)'}, expected ${file.sha256}`);
        continue;
      }
      files.push({ id: entry.id, lang: entry.lang, format: file.format, dest, sha256: file.sha256, action: 'copied' });
    }
  }
  if (failures.length > 0) {
    throw new PromptCatalogError('INSTALL_FAILED', `installing prompts into ${soundsDir} failed`, failures);
  }

  const extraneous: string[] = [];
  for (const [destDir, names] of expected) {
    for (const n of await readdir(destDir)) {
      if (!names.has(n)) extraneous.push(join(destDir, n));
    }
  }
  return { soundsDir, files, extraneous: extraneous.sort() };
}

/**
 * Checks an Asterisk sounds directory against the manifest without writing anything:
 * one line per missing or different file; [] when Asterisk has exactly these prompts.
 */
export async function verifyInstalledPrompts(opts: InstallPromptsOptions = {}): Promise<string[]> {
  const from = resolve(opts.from ?? DEFAULTS.promptsDir);
  const soundsDir = resolve(opts.soundsDir ?? DEFAULT_ASTERISK_SOUNDS_DIR);
  const catalog = await loadPromptCatalog(from, { verify: false });
  const langs = opts.langs ?? catalog.languages;
  const problems: string[] = [];
  for (const entry of catalog.entries()) {
    if (!langs.includes(entry.lang)) continue;
    for (const file of entry.files) {
      const dest = join(soundsDir, entry.lang, DEFAULTS.soundsSubdir, `${entry.id}.${file.format}`);
      const got = await hashOrUndefined(dest);
      if (got === undefined) problems.push(`${dest} is missing`);
      else if (got !== file.sha256) problems.push(`${dest} differs from ${file.relPath} (SHA-256 ${got}, expected ${file.sha256})`);
    }
  }
  return problems;
}

async function hashOrUndefined(path: string): Promise<string | undefined> {
  try {
    return sha256OfBytes(await readFile(path));
  } catch {
    return undefined;
  }
}


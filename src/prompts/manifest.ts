import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULTS } from '../config/defaults.js';
import { checkAsteriskWav } from './wav.js';

/**
 * audio-prompts/manifest.json: for every (prompt id, language) the version, the hash of
 * the words and the hash of each audio file. The manifest follows the files: it is
 * rewritten by `npm run prompts` (rendered speech) or `npm run prompts -- --manifest-only`
 * (files dropped in by hand). The service loads it through loadPromptCatalog, which
 * re-hashes the files, so a prompt can only be played, and recorded as evidence, with the
 * hash of the bytes Asterisk will actually read.
 */

// The WAV header checks live in wav.ts; re-exported for the callers of old.
export { checkAsteriskWav, parseWavHeader, type WavInfo } from './wav.js';

export const MANIFEST_FILE = 'manifest.json';
export const AUDIO_FORMATS = ['wav', 'sln16', 'ulaw', 'alaw'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256');
const promptId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a prompt id like "notice"');
const lang = z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'must be a language code like "pl"');

const ManifestFileSchema = z.strictObject({
  /** Relative to the manifest's directory, POSIX separators: sounds/<lang>/consentline/<id>.<ext>. */
  path: z.string(),
  sha256,
  bytes: z.number().int().nonnegative(),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

export const ManifestEntrySchema = z
  .strictObject({
    id: promptId,
    lang,
    version: z.string().min(1),
    /** SHA-256 of the prompt's text after placeholder substitution (parts joined by "\n"). */
    textSha256: sha256,
    /** "espeak-ng …" for rendered speech, "external" for files dropped in by hand. */
    origin: z.string().min(1),
    /** The text used sample placeholder values (not the controller's real details). */
    samplePlaceholders: z.boolean(),
    files: z.strictObject({
      wav: ManifestFileSchema,
      sln16: ManifestFileSchema.optional(),
      ulaw: ManifestFileSchema.optional(),
      alaw: ManifestFileSchema.optional(),
    }),
  })
  .superRefine((e, ctx) => {
    for (const f of AUDIO_FORMATS) {
      const file = e.files[f];
      const want = expectedPromptPath(e.lang, e.id, f);
      if (file && file.path !== want) {
        ctx.addIssue({ code: 'custom', path: ['files', f, 'path'], message: `must be "${want}"` });
      }
    }
  });
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

export const PromptManifestSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    soundsSubdir: z.literal(DEFAULTS.soundsSubdir),
    prompts: z.array(ManifestEntrySchema),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    for (const [i, e] of m.prompts.entries()) {
      const k = `${e.id}/${e.lang}`;
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: ['prompts', i], message: `duplicate entry for ${k}` });
      seen.add(k);
    }
  });
export type PromptManifest = z.infer<typeof PromptManifestSchema>;

/** Where a prompt's file lives, relative to the prompts directory. */
export function expectedPromptPath(lang: string, id: string, format: AudioFormat): string {
  return `sounds/${lang}/${DEFAULTS.soundsSubdir}/${id}.${format}`;
}

export type PromptCatalogErrorCode =
  | 'MANIFEST_MISSING'
  | 'MANIFEST_INVALID'
  | 'PROMPT_FILES_INVALID'
  | 'PROMPT_MISSING'
  | 'INSTALL_FAILED';

/** Every failure of the prompt catalogue; `problems` lists each one on its own. */
export class PromptCatalogError extends Error {
  override readonly name = 'PromptCatalogError';
  constructor(
    readonly code: PromptCatalogErrorCode,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length > 0 ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
  }
}

export interface PromptFile {
  readonly format: AudioFormat;
  /** Absolute path of the file in the prompts directory. */
  readonly path: string;
  /** Path relative to the prompts directory, as in the manifest. */
  readonly relPath: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** One prompt in one language, as the service plays it and records it in the evidence. */
export interface PromptEntry {
  readonly id: string;
  readonly lang: string;
  readonly version: string;
  /** ARI media URI: sound:consentline/<id> (Asterisk picks the language directory). */
  readonly media: string;
  /** SHA-256 of the .wav file. */
  readonly audioSha256: string;
  /** Length of the audio, from the manifest's file sizes (8 kHz: µ-law 8 bytes/ms, the .wav 16 bytes/ms after its header). */
  readonly durationMs: number;
  readonly textSha256: string;
  readonly origin: string;
  readonly samplePlaceholders: boolean;
  readonly files: readonly PromptFile[];
}

export interface PromptCatalog {
  readonly dir: string;
  readonly languages: readonly string[];
  /** Throws PromptCatalogError (code PROMPT_MISSING) naming the id, language and what exists. */
  get(id: string, lang: string): PromptEntry;
  has(id: string, lang: string): boolean;
  entries(): readonly PromptEntry[];
  /** The (id, lang) pairs among the required ones that the catalogue lacks; [] when complete. */
  missing(ids: readonly string[], langs: readonly string[]): { id: string; lang: string }[];
}

export function mediaFor(id: string): string {
  return `sound:${DEFAULTS.soundsSubdir}/${id}`;
}

export function sha256OfBytes(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parses manifest JSON text; throws PromptCatalogError MANIFEST_INVALID listing each issue. */
export function parseManifest(jsonText: string, where = MANIFEST_FILE): PromptManifest {
  let data: unknown;
  try {
    data = JSON.parse(jsonText);
  } catch (err) {
    throw new PromptCatalogError('MANIFEST_INVALID', `${where} is not valid JSON: ${(err as Error).message}`);
  }
  const r = PromptManifestSchema.safeParse(data);
  if (!r.success) {
    throw new PromptCatalogError(
      'MANIFEST_INVALID',
      `${where} is not a valid prompt manifest`,
      r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`),
    );
  }
  return r.data;
}

export async function readManifest(dir: string): Promise<PromptManifest> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      throw new PromptCatalogError('MANIFEST_MISSING', `${file} does not exist; run "npm run prompts" (or "npm run prompts -- --manifest-only")`);
    }
    throw err;
  }
  return parseManifest(text, file);
}

/**
 * Re-hashes every file the manifest lists and checks each .wav header.
 * Returns one line per problem; [] when the files are exactly what the manifest says.
 */
export async function verifyManifestFiles(dir: string, manifest: PromptManifest): Promise<string[]> {
  const problems: string[] = [];
  for (const e of manifest.prompts) {
    for (const f of AUDIO_FORMATS) {
      const file = e.files[f];
      if (!file) continue;
      let data: Buffer;
      try {
        data = await readFile(join(dir, file.path));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problems.push(`${e.id}/${e.lang}: ${file.path} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`}`);
        continue;
      }
      const got = sha256OfBytes(data);
      if (got !== file.sha256) {
        problems.push(
          `${e.id}/${e.lang}: ${file.path} has SHA-256 ${got}, the manifest says ${file.sha256} ` +
            '(changed after the manifest was written: re-run "npm run prompts -- --manifest-only" if the change is intended)',
        );
        continue;
      }
      if (f === 'wav') {
        const bad = checkAsteriskWav(data);
        if (bad) problems.push(`${e.id}/${e.lang}: ${file.path} ${bad}`);
      }
    }
  }
  return problems;
}

export interface LoadPromptCatalogOptions {
  /** Re-hash every file against the manifest (default true). */
  readonly verify?: boolean;
}

/**
 * Loads `<dir>/manifest.json`, checks every file's SHA-256 (and the .wav headers) and
 * returns the catalogue the call flow plays from.
 *
 * @example
 *   const prompts = await loadPromptCatalog('./audio-prompts');
 *   prompts.get('notice', 'pl'); // { media: 'sound:consentline/notice', audioSha256: '…', … }
 */
export async function loadPromptCatalog(dir: string, opts: LoadPromptCatalogOptions = {}): Promise<PromptCatalog> {
  const root = resolve(dir);
  const manifest = await readManifest(root);
  if (opts.verify ?? true) {
    const problems = await verifyManifestFiles(root, manifest);
    if (problems.length > 0) {
      throw new PromptCatalogError('PROMPT_FILES_INVALID', `prompt files in ${root} do not match ${MANIFEST_FILE}`, problems);
    }
  }
  return buildCatalog(root, manifest);
}

function durationMs(files: PromptManifest['prompts'][number]['files']): number {
  if (files.ulaw) return Math.floor(files.ulaw.bytes / 8);
  return Math.max(0, Math.floor((files.wav.bytes - 44) / 16));
}

function buildCatalog(root: string, manifest: PromptManifest): PromptCatalog {
  const byKey = new Map<string, PromptEntry>();
  for (const e of manifest.prompts) {
    const files: PromptFile[] = [];
    for (const f of AUDIO_FORMATS) {
      const file = e.files[f];
      if (file) files.push(Object.freeze({ format: f, path: join(root, file.path), relPath: file.path, sha256: file.sha256, bytes: file.bytes }));
    }
    byKey.set(
      `${e.id}\u0000${e.lang}`,
      Object.freeze({
        id: e.id,
        lang: e.lang,
        version: e.version,
        media: mediaFor(e.id),
        audioSha256: e.files.wav.sha256,
        durationMs: durationMs(e.files),
        textSha256: e.textSha256,
        origin: e.origin,
        samplePlaceholders: e.samplePlaceholders,
        files: Object.freeze(files),
      }),
    );
  }
  const all = Object.freeze([...byKey.values()]);
  const languages = Object.freeze([...new Set(all.map((e) => e.lang))].sort());
  return Object.freeze({
    dir: root,
    languages,
    has: (id: string, lang: string) => byKey.has(`${id}\u0000${lang}`),
    get(id: string, lang: string): PromptEntry {
      const e = byKey.get(`${id}\u0000${lang}`);
      if (e) return e;
      const langsForId = all.filter((x) => x.id === id).map((x) => x.lang);
      const hint =
        langsForId.length > 0
          ? `it exists in: ${langsForId.join(', ')}`
          : `no prompt "${id}" in any language; known ids: ${[...new Set(all.map((x) => x.id))].join(', ')}`;
      throw new PromptCatalogError('PROMPT_MISSING', `prompt "${id}" in language "${lang}" is not in ${join(root, MANIFEST_FILE)} (${hint})`);
    },
    entries: () => all,
    missing: (ids: readonly string[], langs: readonly string[]) =>
      langs.flatMap((lang) => ids.filter((id) => !byKey.has(`${id}\u0000${lang}`)).map((id) => ({ id, lang }))),
  });
}

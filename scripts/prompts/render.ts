/**
 * npm run prompts                      render audio-prompts/<lang>.yaml with espeak-ng + sox
 * npm run prompts -- --manifest-only   re-hash whatever audio files are there (recorded by hand)
 * npm run prompts -- --from-wav        derive .sln16/.ulaw/.alaw from each .wav, then re-hash
 * npm run prompts -- --force           re-render even prompts whose text did not change
 * npm run prompts -- --dir <path>      prompts directory (default ./audio-prompts)
 *
 * Output: <dir>/sounds/<lang>/consentline/<id>.{wav,sln16,ulaw,alaw} and <dir>/manifest.json.
 * Needs (Debian): apt-get install -y espeak-ng sox
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rename, rm, stat, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS, PROMPT_IDS } from '../../src/config/defaults.js';
import {
  AUDIO_FORMATS,
  MANIFEST_FILE,
  type AudioFormat,
  type ManifestEntry,
  type PromptManifest,
  PromptManifestSchema,
  checkAsteriskWav,
  expectedPromptPath,
  readManifest,
  sha256OfBytes,
  verifyManifestFiles,
} from '../../src/prompts/manifest.js';
import { loadPromptSources, renderSourceFile, type PromptSourceFile, type RenderedText } from '../../src/prompts/source.js';

const DEFAULT_VOICES: Record<string, string> = { pl: 'pl', en: 'en-gb' };
const WORDS_PER_MINUTE = 170;

/** Flags for sox output per format. -D everywhere: no dither, so renders are repeatable. */
const SOX_OUT: Record<AudioFormat, string[]> = {
  wav: ['-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'wav'],
  sln16: ['-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw'],
  ulaw: ['-r', '8000', '-c', '1', '-b', '8', '-e', 'u-law', '-t', 'raw'],
  alaw: ['-r', '8000', '-c', '1', '-b', '8', '-e', 'a-law', '-t', 'raw'],
};

function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new Error(`${cmd} is not installed. On Debian/Ubuntu: apt-get update && apt-get install -y espeak-ng sox`)
          : e,
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${err.trim()}`)),
    );
    if (stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // a tool that exits early reports through 'close'
      child.stdin.end(stdin);
    }
  });
}

async function toolVersions(): Promise<string> {
  const espeak = (await run('espeak-ng', ['--version'])).match(/text-to-speech:\s*([\w.+-]+)/)?.[1] ?? '?';
  const sox = (await run('sox', ['--version'])).match(/v([\d.]+)/)?.[1] ?? '?';
  return `espeak-ng ${espeak}, sox ${sox}`;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function hashFiles(dir: string, id: string, lang: string): Promise<ManifestEntry['files'] | string> {
  const files: Partial<Record<AudioFormat, { path: string; sha256: string; bytes: number }>> = {};
  for (const f of AUDIO_FORMATS) {
    const rel = expectedPromptPath(lang, id, f);
    const abs = join(dir, rel);
    if (!(await exists(abs))) continue;
    const data = await readFile(abs);
    if (f === 'wav') {
      const bad = checkAsteriskWav(data);
      if (bad) return `${rel} ${bad}`;
    }
    files[f] = { path: rel, sha256: sha256OfBytes(data), bytes: data.length };
  }
  if (!files.wav) return `${expectedPromptPath(lang, id, 'wav')} is missing: every prompt needs a .wav (PCM 8000 Hz mono 16-bit)`;
  return { ...files, wav: files.wav };
}

/** espeak-ng each part, join them with a short pause, normalise, write the four formats. */
async function renderAudio(dir: string, t: RenderedText, voices: Record<string, string>, work: string): Promise<void> {
  const partFiles: string[] = [];
  for (const [i, part] of t.parts.entries()) {
    const voice = voices[part.lang] ?? DEFAULT_VOICES[part.lang] ?? part.lang;
    const raw = join(work, `${t.id}.${i}.raw.wav`);
    await run('espeak-ng', ['-v', voice, '-s', String(WORDS_PER_MINUTE), '-w', raw, '--stdin'], part.text);
    if (i < t.parts.length - 1) {
      const padded = join(work, `${t.id}.${i}.wav`);
      await run('sox', ['-D', raw, padded, 'pad', '0', '0.4']);
      partFiles.push(padded);
    } else {
      partFiles.push(raw);
    }
  }
  const master = join(work, `${t.id}.master.wav`);
  await run('sox', ['-D', ...partFiles, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', master, 'norm', '-3', 'pad', '0.15', '0.3']);
  await writeFormats(dir, t.lang, t.id, master, work);
}

async function writeFormats(dir: string, lang: string, id: string, source: string, work: string, only: readonly AudioFormat[] = AUDIO_FORMATS): Promise<void> {
  for (const f of only) {
    const dest = join(dir, expectedPromptPath(lang, id, f));
    await mkdir(dirname(dest), { recursive: true });
    const tmp = join(work, `${id}.out.${f}`);
    await run('sox', ['-D', source, ...SOX_OUT[f], tmp]);
    // Rename within the same filesystem when possible; the work dir may be elsewhere.
    await copyFile(tmp, `${dest}.tmp`);
    await rename(`${dest}.tmp`, dest);
  }
}

async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'manifest-only': { type: 'boolean', default: false },
      'from-wav': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      dir: { type: 'string', default: DEFAULTS.promptsDir },
    },
  });
  const dir = resolve(values.dir);
  const mode = values['manifest-only'] ? 'manifest-only' : values['from-wav'] ? 'from-wav' : 'render';

  const sources: PromptSourceFile[] = await loadPromptSources(dir);
  const texts = sources.flatMap((s) => renderSourceFile(s, join(dir, `${s.lang}.yaml`)));
  const voicesByLang = Object.assign({}, ...sources.map((s) => s.voices ?? {})) as Record<string, string>;

  let old: PromptManifest | undefined;
  try {
    old = await readManifest(dir);
  } catch {
    old = undefined;
  }
  const oldEntry = (id: string, lang: string) => old?.prompts.find((e) => e.id === id && e.lang === lang);
  const warnings: string[] = [];
  const errors: string[] = [];
  const tools = mode === 'manifest-only' ? undefined : await toolVersions();
  const work = await mkdtemp(join(tmpdir(), 'consentline-prompts-'));
  const entries = new Map<string, ManifestEntry>();
  let rendered = 0;

  try {
    await pool(texts, 2, async (t) => {
      const prev = oldEntry(t.id, t.lang);
      let origin: string;
      if (mode === 'render') {
        // The origin names the tools, voices and rate: a change to any of them re-renders.
        const renderOrigin = `${tools} (voice ${t.parts.map((p) => voicesByLang[p.lang] ?? DEFAULT_VOICES[p.lang] ?? p.lang).join('+')}, ${WORDS_PER_MINUTE} wpm)`;
        const unchanged =
          !values.force &&
          prev !== undefined &&
          prev.textSha256 === t.textSha256 &&
          prev.version === t.version &&
          prev.origin === renderOrigin &&
          (await filesMatch(dir, prev));
        if (!unchanged) {
          await renderAudio(dir, t, voicesByLang, work);
          rendered++;
        }
        origin = renderOrigin;
      } else {
        if (mode === 'from-wav') {
          const wav = join(dir, expectedPromptPath(t.lang, t.id, 'wav'));
          if (await exists(wav)) await writeFormats(dir, t.lang, t.id, wav, work, ['sln16', 'ulaw', 'alaw']);
        }
        origin = 'external';
      }

      const files = await hashFiles(dir, t.id, t.lang);
      if (typeof files === 'string') {
        errors.push(`${t.id}/${t.lang}: ${files}`);
        return;
      }
      // Files a render produced and that are byte-for-byte unchanged keep their origin.
      if (mode !== 'render' && prev && prev.files.wav.sha256 === files.wav.sha256) origin = prev.origin;
      if (mode === 'manifest-only' && prev && prev.files.wav.sha256 !== files.wav.sha256) {
        for (const f of ['sln16', 'ulaw', 'alaw'] as const) {
          if (files[f] && prev.files[f]?.sha256 === files[f].sha256) {
            warnings.push(
              `${t.id}/${t.lang}: the .wav changed but .${f} did not; Asterisk may play the old .${f} on some calls. ` +
                'Delete it, or run "npm run prompts -- --from-wav" to derive it from the new .wav.',
            );
          }
        }
      }
      if (prev && prev.textSha256 !== t.textSha256 && prev.version === t.version) {
        warnings.push(`${t.id}/${t.lang}: the text changed but version is still "${t.version}"; bump it in ${t.lang}.yaml`);
      }
      if (t.samplePlaceholders) warnings.push(`${t.id}/${t.lang}: uses SAMPLE placeholder values (placeholders_are_samples: true)`);
      entries.set(`${t.id}/${t.lang}`, {
        id: t.id,
        lang: t.lang,
        version: t.version,
        textSha256: t.textSha256,
        origin,
        samplePlaceholders: t.samplePlaceholders,
        files,
      });
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  if (errors.length > 0) {
    console.error(`prompts: ${errors.length} problem(s), manifest not written:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    process.exitCode = 1;
    return;
  }

  const order = (id: string) => PROMPT_IDS.indexOf(id as (typeof PROMPT_IDS)[number]);
  const manifest: PromptManifest = PromptManifestSchema.parse({
    schemaVersion: 1,
    soundsSubdir: DEFAULTS.soundsSubdir,
    prompts: [...entries.values()].sort((a, b) => a.lang.localeCompare(b.lang) || order(a.id) - order(b.id)),
  });
  const problems = await verifyManifestFiles(dir, manifest);
  if (problems.length > 0) {
    console.error(`prompts: the files changed while hashing:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exitCode = 1;
    return;
  }
  await writeFile(join(dir, `${MANIFEST_FILE}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, `${MANIFEST_FILE}.tmp`), join(dir, MANIFEST_FILE));

  const samples = warnings.filter((w) => w.includes('SAMPLE')).length;
  for (const w of warnings.filter((x) => !x.includes('SAMPLE'))) console.warn(`warning: ${w}`);
  if (samples > 0) console.warn(`warning: ${samples} prompt(s) use SAMPLE placeholder values: fill in the controller's details before going live`);
  console.log(
    `prompts: ${manifest.prompts.length} prompt(s) in ${[...new Set(manifest.prompts.map((p) => p.lang))].join(', ')}; ` +
      `${mode === 'render' ? `${rendered} rendered, ${manifest.prompts.length - rendered} unchanged; ` : `${mode}; `}` +
      `wrote ${join(dir, MANIFEST_FILE)}`,
  );
}

async function filesMatch(dir: string, e: ManifestEntry): Promise<boolean> {
  for (const f of AUDIO_FORMATS) {
    const file = e.files[f];
    if (!file) return false;
    try {
      if (sha256OfBytes(await readFile(join(dir, file.path))) !== file.sha256) return false;
    } catch {
      return false;
    }
  }
  return true;
}

main().catch((err: unknown) => {
  console.error(`prompts: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

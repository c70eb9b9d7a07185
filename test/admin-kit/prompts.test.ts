import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPT_IDS } from '../../src/config/defaults.js';
import {
  AUDIO_FORMATS,
  PromptCatalogError,
  loadPromptCatalog,
  parseManifest,
  parseWavHeader,
  type PromptManifest,
} from '../../src/prompts/manifest.js';
import { loadPromptSources, renderSourceFile, fillPlaceholders } from '../../src/prompts/source.js';
import { installPrompts, verifyInstalledPrompts } from '../../src/prompts/install.js';

const PROMPTS_DIR = join(import.meta.dirname, '../../audio-prompts');
const LANGS = ['pl', 'en'];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('committed prompts', () => {
  let manifest: PromptManifest;
  beforeAll(async () => {
    manifest = parseManifest(await readFile(join(PROMPTS_DIR, 'manifest.json'), 'utf8'));
  });

  it('cover every PROMPT_IDS × {pl, en} with all four formats', () => {
    for (const lang of LANGS) {
      for (const id of PROMPT_IDS) {
        const e = manifest.prompts.find((p) => p.id === id && p.lang === lang);
        expect(e, `${id}/${lang}`).toBeDefined();
        for (const f of AUDIO_FORMATS) expect(e!.files[f]?.path).toBe(`sounds/${lang}/consentline/${id}.${f}`);
      }
    }
  });

  it('files exist and match their SHA-256; .wav is PCM 8000 Hz mono 16-bit', async () => {
    for (const e of manifest.prompts) {
      for (const f of AUDIO_FORMATS) {
        const file = e.files[f]!;
        const data = await readFile(join(PROMPTS_DIR, file.path));
        expect(sha(data), file.path).toBe(file.sha256);
        expect(data.length).toBe(file.bytes);
      }
      const wav = parseWavHeader(await readFile(join(PROMPTS_DIR, e.files.wav.path)));
      expect(wav).toMatchObject({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });
      // The raw formats hold the same duration: 8 kHz µ/A-law = half the PCM bytes, sln16 = twice.
      expect(e.files.ulaw!.bytes).toBe(wav.dataBytes / 2);
      expect(e.files.alaw!.bytes).toBe(wav.dataBytes / 2);
      expect(Math.abs(e.files.sln16!.bytes - wav.dataBytes * 2)).toBeLessThanOrEqual(8);
    }
  });

  it('text hashes and versions match the YAML sources after placeholder substitution', async () => {
    const texts = (await loadPromptSources(PROMPTS_DIR)).flatMap((s) => renderSourceFile(s));
    expect(texts).toHaveLength(PROMPT_IDS.length * LANGS.length);
    for (const t of texts) {
      const e = manifest.prompts.find((p) => p.id === t.id && p.lang === t.lang)!;
      expect(e.textSha256, `${t.id}/${t.lang}`).toBe(t.textSha256);
      expect(e.version).toBe(t.version);
      expect(t.text).not.toMatch(/\{\{|\}\}/);
    }
  });

  it('say what the law asks of them', async () => {
    const texts = (await loadPromptSources(PROMPTS_DIR)).flatMap((s) => renderSourceFile(s));
    const get = (id: string, lang: string) => texts.find((t) => t.id === id && t.lang === lang)!.text;
    const sources = await loadPromptSources(PROMPTS_DIR);
    for (const s of sources) {
      const name = s.placeholders.controller_name!;
      expect(get('notice', s.lang)).toContain(name);
      expect(get('notice', s.lang)).toContain(s.placeholders.clause_key!);
      expect(get('marketing-consent', s.lang)).toContain(name);
      expect(get('clause', s.lang)).toContain(s.placeholders.dpo_email!);
      expect(get('clause', s.lang)).toContain(s.placeholders.recording_retention!);
    }
    expect(get('clause', 'pl')).toMatch(/Prezesa Urzędu Ochrony Danych Osobowych/);
    expect(get('clause', 'pl')).toMatch(/sprostowania.*usunięcia.*sprzeciwu/s);
    expect(get('clause', 'en')).toMatch(/rectified or erased.*object.*complaint/s);
    expect(get('marketing-consent', 'pl')).toMatch(/telefonicznie.*SMS.*pocztą elektroniczną/s);
    expect(get('recording-consent', 'en')).toMatch(/press 1.*press 2/s);
    expect(get('lang-choice', 'pl')).toMatch(/po polsku.*English/s);
  });

  it('loadPromptCatalog answers get(id, lang) with the media URI and the .wav hash', async () => {
    const catalog = await loadPromptCatalog(PROMPTS_DIR);
    const e = catalog.get('notice', 'pl');
    const m = manifest.prompts.find((p) => p.id === 'notice' && p.lang === 'pl')!;
    expect(e).toMatchObject({ id: 'notice', lang: 'pl', version: m.version, media: 'sound:consentline/notice', audioSha256: m.files.wav.sha256 });
    expect(e.files.map((f) => f.format).sort()).toEqual([...AUDIO_FORMATS].sort());
    expect(catalog.missing(PROMPT_IDS, ['pl', 'en'])).toEqual([]);
    expect(catalog.missing(['notice'], ['de'])).toEqual([{ id: 'notice', lang: 'de' }]);
    expect(() => catalog.get('notice', 'de')).toThrow(/prompt "notice" in language "de" is not in .*manifest\.json \(it exists in: en, pl\)/);
    expect(() => catalog.get('nope', 'pl')).toThrow(PromptCatalogError);
  });
});

describe('placeholders', () => {
  it('refuses a placeholder without a value, naming it', () => {
    expect(() => fillPlaceholders('Administrator: {{controller_name}}, {{dpo_email}}', { controller_name: 'X' }, 'pl.yaml: prompt "clause"')).toThrow(
      'pl.yaml: prompt "clause": no value for placeholder {{dpo_email}}',
    );
  });
});

/** A small prompts directory: the manifest trimmed to two prompts, with their files. */
async function smallFixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'consentline-prompts-test-'));
  const full = parseManifest(await readFile(join(PROMPTS_DIR, 'manifest.json'), 'utf8'));
  const prompts = full.prompts.filter((p) => p.id === 'goodbye' || p.id === 'invalid');
  for (const p of prompts) {
    for (const f of AUDIO_FORMATS) await cp(join(PROMPTS_DIR, p.files[f]!.path), join(dir, p.files[f]!.path), { recursive: true });
  }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...full, prompts }, null, 2));
  return dir;
}

describe('tampering', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await smallFixture();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loadPromptCatalog reports a changed file with a clear error', async () => {
    await loadPromptCatalog(dir); // clean first
    await appendFile(join(dir, 'sounds/pl/consentline/goodbye.wav'), Buffer.from([1, 2, 3, 4]));
    const err = await loadPromptCatalog(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptCatalogError);
    expect((err as PromptCatalogError).code).toBe('PROMPT_FILES_INVALID');
    expect((err as PromptCatalogError).problems).toHaveLength(1);
    expect((err as Error).message).toMatch(/goodbye\/pl: sounds\/pl\/consentline\/goodbye\.wav has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
  });

  it('reports a missing file and a wrong wav format', async () => {
    await rm(join(dir, 'sounds/en/consentline/invalid.ulaw'));
    const bad = await readFile(join(dir, 'sounds/en/consentline/goodbye.wav'));
    bad.writeUInt32LE(16000, 24); // sample rate
    await writeFile(join(dir, 'sounds/en/consentline/goodbye.wav'), bad);
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as PromptManifest;
    m.prompts.find((p) => p.id === 'goodbye' && p.lang === 'en')!.files.wav.sha256 = sha(bad);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
    const err = (await loadPromptCatalog(dir).catch((e: unknown) => e)) as PromptCatalogError;
    expect(err.problems.join('\n')).toMatch(/invalid\/en: sounds\/en\/consentline\/invalid\.ulaw is missing/);
    expect(err.problems.join('\n')).toMatch(/goodbye\/en: .*16000 Hz.*Asterisk needs PCM 8000 Hz mono 16-bit/);
  });

  it('rejects a manifest whose paths leave the sounds layout', () => {
    const m = { schemaVersion: 1, soundsSubdir: 'consentline', prompts: [{ id: 'notice', lang: 'pl', version: '1', textSha256: 'a'.repeat(64), origin: 'external', samplePlaceholders: false, files: { wav: { path: '../../etc/passwd', sha256: 'b'.repeat(64), bytes: 1 } } }] };
    expect(() => parseManifest(JSON.stringify(m))).toThrow(/files\.wav\.path: must be "sounds\/pl\/consentline\/notice\.wav"/);
  });

  it('says how to create a missing manifest', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'consentline-prompts-empty-'));
    await expect(loadPromptCatalog(empty)).rejects.toThrow(/manifest\.json does not exist; run "npm run prompts"/);
    await rm(empty, { recursive: true, force: true });
  });
});

describe('installPrompts', () => {
  let from: string;
  let sounds: string;
  beforeAll(async () => {
    from = await smallFixture();
    sounds = await mkdtemp(join(tmpdir(), 'consentline-sounds-'));
  });
  afterAll(async () => {
    await rm(from, { recursive: true, force: true });
    await rm(sounds, { recursive: true, force: true });
  });

  it('copies into <sounds>/<lang>/consentline/ and verifies, then finds nothing to do', async () => {
    await writeFile(join(sounds, 'stray.txt'), 'not ours');
    const r = await installPrompts({ from, soundsDir: sounds });
    expect(r.files).toHaveLength(2 * 2 * 4);
    expect(r.files.every((f) => f.action === 'copied')).toBe(true);
    const f = r.files.find((x) => x.id === 'goodbye' && x.lang === 'pl' && x.format === 'wav')!;
    expect(f.dest).toBe(join(sounds, 'pl', 'consentline', 'goodbye.wav'));
    expect(sha(await readFile(f.dest))).toBe(f.sha256);
    expect(await verifyInstalledPrompts({ from, soundsDir: sounds })).toEqual([]);

    const again = await installPrompts({ from, soundsDir: sounds });
    expect(again.files.every((x) => x.action === 'unchanged')).toBe(true);
    expect(again.extraneous).toEqual([]);
  });

  it('replaces a changed copy and reports files it does not own', async () => {
    const dest = join(sounds, 'en', 'consentline', 'invalid.alaw');
    await writeFile(dest, 'tampered');
    await writeFile(join(sounds, 'en', 'consentline', 'notice.g722'), 'old recording');
    expect(await verifyInstalledPrompts({ from, soundsDir: sounds })).toEqual([expect.stringMatching(/invalid\.alaw differs/)]);
    const r = await installPrompts({ from, soundsDir: sounds, langs: ['en'] });
    expect(r.files.filter((x) => x.action === 'copied').map((x) => x.dest)).toEqual([dest]);
    expect(r.extraneous).toEqual([join(sounds, 'en', 'consentline', 'notice.g722')]);
  });

  it('refuses to install from a source that does not match its manifest', async () => {
    await appendFile(join(from, 'sounds/en/consentline/goodbye.sln16'), 'x');
    await expect(installPrompts({ from, soundsDir: sounds })).rejects.toMatchObject({ code: 'PROMPT_FILES_INVALID' });
  });
});

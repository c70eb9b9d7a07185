import { createHash } from 'node:crypto';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_FORMATS, parseManifest } from '../../../src/prompts/manifest.js';
import { cli, cliProcess } from '../helpers.js';

const PROMPTS_DIR = join(import.meta.dirname, '../../../audio-prompts');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A prompts directory with two prompts in both languages (manifest trimmed to match). */
async function fixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-prompts-cli-'));
  const full = parseManifest(await readFile(join(PROMPTS_DIR, 'manifest.json'), 'utf8'));
  const prompts = full.prompts.filter((p) => p.id === 'goodbye' || p.id === 'invalid');
  for (const p of prompts) for (const f of AUDIO_FORMATS) await cp(join(PROMPTS_DIR, p.files[f]!.path), join(dir, p.files[f]!.path));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...full, prompts }, null, 2));
  return dir;
}

describe('consentline prompts install', () => {
  let from: string;
  let sounds: string;
  beforeAll(async () => {
    from = await fixture();
    sounds = await mkdtemp(join(tmpdir(), 'cl-sounds-cli-'));
  });
  afterAll(async () => {
    await rm(from, { recursive: true, force: true });
    await rm(sounds, { recursive: true, force: true });
  });

  it('copies one language, prints each file, verifies, exit 0', async () => {
    const r = await cli(['prompts', 'install', '--from', from, '--sounds-dir', sounds, '--lang', 'en']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^copied {4}en\/consentline\/goodbye\.wav  sha256 [0-9a-f]{16}…$/m);
    expect(r.out).not.toContain('pl/consentline');
    expect(r.out).toContain(`8 file(s) for en in ${sounds}: 8 copied and verified, 0 already there with the right SHA-256`);
    expect(r.out).toContain(`verified: all 8 file(s) in ${sounds} match the manifest`);
    const copy = await readFile(join(sounds, 'en', 'consentline', 'invalid.wav'));
    expect(sha(copy)).toBe(sha(await readFile(join(from, 'sounds/en/consentline/invalid.wav'))));
  });

  it('every language by default; files already in place are left alone; strays are warned about', async () => {
    await writeFile(join(sounds, 'en', 'consentline', 'notice.g722'), 'old recording');
    const r = await cli(['prompts', 'install', '--from', from, '--sounds-dir', sounds]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^unchanged en\/consentline\/goodbye\.wav/m);
    expect(r.out).toMatch(/^copied {4}pl\/consentline\/goodbye\.wav/m);
    expect(r.out).toContain('16 file(s) for en, pl');
    expect(r.out).toContain('8 copied and verified, 8 already there');
    expect(r.err).toContain('warning: 1 file(s) not in the manifest');
    expect(r.err).toContain(join(sounds, 'en', 'consentline', 'notice.g722'));
  });

  it('an unknown language is exit 1 naming the languages there are', async () => {
    const r = await cli(['prompts', 'install', '--from', from, '--sounds-dir', sounds, '--lang', 'pl, de']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('prompts install failed (PROMPT_MISSING): no prompts for language(s) de');
    expect(r.err).toContain('(has: en, pl)');
  });

  it('a missing prompts directory is exit 1 with the reason', async () => {
    const r = await cli(['prompts', 'install', '--from', join(from, 'nope'), '--sounds-dir', sounds]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prompts install failed \(MANIFEST_MISSING\)/);
  });

  it('usage errors are exit 2', async () => {
    expect((await cli(['prompts', 'install', '--lang', ' , '])).code).toBe(2);
    expect((await cli(['prompts', 'install', '--colour'])).code).toBe(2);
    expect((await cli(['prompts', 'install', '--help'])).out).toContain('usage: consentline prompts install [--from');
  });

  it('as a process: a source that does not match its manifest is exit 1 and nothing is copied', async () => {
    const target = await mkdtemp(join(tmpdir(), 'cl-sounds-cli-'));
    await appendFile(join(from, 'sounds/pl/consentline/goodbye.sln16'), 'x');
    const r = cliProcess(['prompts', 'install', '--from', from, '--sounds-dir', target]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prompts install failed \(PROMPT_FILES_INVALID\)/);
    expect(r.err).toMatch(/goodbye\/pl: sounds\/pl\/consentline\/goodbye\.sln16 has SHA-256/);
    expect(r.out).toBe('');
    await rm(target, { recursive: true, force: true });
  });
});

import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../../config/defaults.js';
import { DEFAULT_ASTERISK_SOUNDS_DIR, installPrompts, verifyInstalledPrompts, type InstallPromptsResult } from '../../prompts/install.js';
import { PromptCatalogError } from '../../prompts/manifest.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';

/**
 * Copies the prompts into Asterisk's sounds directory and checks every copy against
 * manifest.json. A source that does not match its manifest, an unknown language or a copy
 * that does not read back right is exit 1 with every problem listed.
 */
export const promptsInstall: Command = {
  name: 'prompts install',
  summary: "copy the voice prompts into Asterisk's sounds directory and verify each copy's SHA-256",
  usage: `consentline prompts install [--from ${DEFAULTS.promptsDir}] [--sounds-dir ${DEFAULT_ASTERISK_SOUNDS_DIR}] [--lang pl,en]`,
  async run(argv, io): Promise<ExitCode> {
    const { values } = parseArgs({
      args: [...argv],
      options: { from: { type: 'string' }, 'sounds-dir': { type: 'string' }, lang: { type: 'string' } },
      strict: true,
    });
    const from = values.from ?? DEFAULTS.promptsDir;
    const soundsDir = values['sounds-dir'] ?? DEFAULT_ASTERISK_SOUNDS_DIR;
    if (from === '' || soundsDir === '') throw new UsageError('--from and --sounds-dir need a directory');
    const langs = values.lang === undefined ? undefined : parseLangs(values.lang);
    const opts = { from, soundsDir, ...(langs ? { langs } : {}) };

    let result: InstallPromptsResult;
    try {
      result = await installPrompts(opts);
    } catch (err) {
      if (err instanceof PromptCatalogError) {
        io.err(`prompts install failed (${err.code}): ${err.message}`);
        return EXIT.failed;
      }
      throw err;
    }
    report(result, io);

    // Each copy was re-hashed as it was written; this reads the whole set once more, as Asterisk will.
    const problems = await verifyInstalledPrompts(opts);
    if (problems.length > 0) {
      io.err(`verification of ${result.soundsDir} failed: ${problems.length} problem(s):`);
      for (const p of problems) io.err(`  - ${p}`);
      return EXIT.failed;
    }
    io.out(`verified: all ${result.files.length} file(s) in ${result.soundsDir} match the manifest`);
    return EXIT.ok;
  },
};

function parseLangs(value: string): string[] {
  const langs = value.split(',').map((l) => l.trim()).filter((l) => l !== '');
  if (langs.length === 0) throw new UsageError('--lang needs at least one language, e.g. --lang pl,en');
  return [...new Set(langs)];
}

function report(result: InstallPromptsResult, io: CliIo): void {
  for (const f of result.files) {
    io.out(`${f.action.padEnd(9)} ${relative(result.soundsDir, f.dest)}  sha256 ${f.sha256.slice(0, 16)}…`);
  }
  const copied = result.files.filter((f) => f.action === 'copied').length;
  const langs = [...new Set(result.files.map((f) => f.lang))].sort();
  io.out(
    `${result.files.length} file(s) for ${langs.join(', ') || 'no language'} in ${result.soundsDir}: ` +
      `${copied} copied and verified, ${result.files.length - copied} already there with the right SHA-256`,
  );
  if (result.extraneous.length > 0) {
    io.err(`warning: ${result.extraneous.length} file(s) not in the manifest; Asterisk may play them instead (remove them by hand):`);
    for (const p of result.extraneous) io.err(`  - ${p}`);
  }
}

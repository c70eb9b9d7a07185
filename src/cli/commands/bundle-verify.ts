import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyBundle } from '../../evidence/bundle.js';
import { parseVerifierKey } from '../../evidence/checkpoint.js';
import { EXIT, UsageError, type Command, type ExitCode } from '../command.js';

const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

/** Reads `--key`: a verifier key string (`name+hash+base64key`) or a file holding one. */
function readKey(arg: string): string {
  if (/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/.test(arg.trim())) return arg.trim();
  try {
    return readFileSync(arg, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`--key: not a verifier key and not a readable file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export const bundleVerify: Command = {
  name: 'bundle verify',
  summary: 'verify an evidence bundle offline with the checkpoint public key; exit 1 at the first problem',
  usage: 'consentline bundle verify <file> --key <verifier key or file>',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { key: { type: 'string' } }, allowPositionals: true, strict: true });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length) throw new UsageError('expected exactly one bundle file');
    if (!values.key) throw new UsageError('--key is required');
    const verifier = parseVerifierKey(readKey(values.key));
    if (!verifier) throw new UsageError('--key is not an Ed25519 verifier key (name+hash+base64key) whose hash matches');

    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      io.err(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return EXIT.failed;
    }
    if (text.length > MAX_BUNDLE_BYTES) {
      io.out('bundle INVALID: file too large');
      return EXIT.failed;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      io.out('bundle INVALID: not JSON');
      return EXIT.failed;
    }
    const r = verifyBundle(json, verifier);
    if (!r.ok) {
      io.out(`bundle INVALID: ${r.problem}`);
      return EXIT.failed;
    }
    io.out(`bundle OK: ${r.calls} call(s), ${r.events} event(s) proven in the checkpoint of ${r.origin} at tree size ${r.treeSize}`);
    return EXIT.ok;
  },
};

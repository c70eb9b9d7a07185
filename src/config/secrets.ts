import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type SecretSource = 'config' | 'file' | 'generated';

/**
 * A secret from the config (env) or, on the embedded defaults, from a 0600 file in the data
 * directory, generated on first start. Returned with where it came from, for the start-up log
 * (which names the file, never the value).
 */
export function loadOrCreateSecret(fromConfig: string | undefined, file: string): { value: string; source: SecretSource } {
  if (fromConfig) return { value: fromConfig, source: 'config' };
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 32) return { value, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const value = randomBytes(32).toString('hex');
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { value, source: 'generated' };
}

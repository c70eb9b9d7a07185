import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-secrets-'));
let n = 0;
function secretFile(content: string): string {
  const path = join(dir, `s${++n}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** A credentials directory as systemd lays it out: one file per LoadCredential= name. */
function credentialsDir(files: Record<string, string>): string {
  const d = join(dir, `creds${++n}`);
  mkdirSync(d);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content, { mode: 0o400 });
  return d;
}

// No config file: the built-in config plus the environment under test.
const load = (env: Record<string, string>) => loadConfig({ env: { CONSENTLINE_CONFIG: undefined, ...env } as NodeJS.ProcessEnv });

describe('secrets from files (NAME_FILE)', () => {
  it('reads the value from the file, trimmed', () => {
    const r = load({
      CONSENTLINE_ARI_PASSWORD_FILE: secretFile('  s3cret-from-file\n'),
      CONSENTLINE_PEPPER_FILE: secretFile('pepper-from-file-0123456789abcdef0123456789\n'),
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.ari.password).toBe('s3cret-from-file');
    expect(r.config.evidence.pepper).toBe('pepper-from-file-0123456789abcdef0123456789');
  });

  it('works for every override, typed ones included', () => {
    expect(ENV_OVERRIDES.length).toBeGreaterThan(0);
    const r = load({ CONSENTLINE_API_PORT_FILE: secretFile('9090\n'), CONSENTLINE_ARI_URL_FILE: secretFile('http://pbx.example:8088') });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.api.port).toBe(9090);
    expect(r.config.ari.url).toBe('http://pbx.example:8088');
  });

  it('a bad integer in a file names the _FILE variable', () => {
    const r = load({ CONSENTLINE_API_PORT_FILE: secretFile('eighty') });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual(['CONSENTLINE_API_PORT_FILE: must be an integer, got "eighty"']);
  });

  it('an unreadable file is a problem line with the path and the error code', () => {
    const missing = join(dir, 'no-such-file');
    const r = load({ CONSENTLINE_ARI_PASSWORD_FILE: missing });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([`CONSENTLINE_ARI_PASSWORD_FILE: cannot read ${missing} (ENOENT)`]);
  });

  it('a directory instead of a file is unreadable too (EISDIR)', () => {
    const r = load({ CONSENTLINE_PEPPER_FILE: dir });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([`CONSENTLINE_PEPPER_FILE: cannot read ${dir} (EISDIR)`]);
  });

  it('an empty file is a problem, not an empty secret', () => {
    const empty = secretFile(' \n');
    const r = load({ CONSENTLINE_ARI_PASSWORD_FILE: empty });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([`CONSENTLINE_ARI_PASSWORD_FILE: ${empty} is empty`]);
  });

  it('NAME and NAME_FILE both set is a problem', () => {
    const r = load({ CONSENTLINE_ARI_PASSWORD: 'direct', CONSENTLINE_ARI_PASSWORD_FILE: secretFile('file') });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toEqual(['CONSENTLINE_ARI_PASSWORD: set both CONSENTLINE_ARI_PASSWORD and CONSENTLINE_ARI_PASSWORD_FILE; use one']);
    }
  });

  it('every problem is listed at once, and no message quotes a secret', () => {
    const r = load({
      CONSENTLINE_ARI_PASSWORD: 'do-not-print-me',
      CONSENTLINE_ARI_PASSWORD_FILE: secretFile('do-not-print-me-either'),
      CONSENTLINE_PEPPER_FILE: join(dir, 'gone'),
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(2);
    expect(r.problems.join('\n')).not.toMatch(/do-not-print/);
  });

  it('an empty NAME_FILE counts as unset, like an empty NAME', () => {
    const r = load({ CONSENTLINE_ARI_PASSWORD: 'direct', CONSENTLINE_ARI_PASSWORD_FILE: '' });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config.ari.password).toBe('direct');
  });

  it('an unreadable file (permissions) reports EACCES', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const locked = secretFile('x');
    chmodSync(locked, 0o000);
    const r = load({ CONSENTLINE_PEPPER_FILE: locked });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([`CONSENTLINE_PEPPER_FILE: cannot read ${locked} (EACCES)`]);
  });
});

describe('systemd credentials ($CREDENTIALS_DIRECTORY)', () => {
  it('reads ari-password and pepper when neither NAME nor NAME_FILE is set', () => {
    const creds = credentialsDir({ 'ari-password': 'from-systemd\n', pepper: 'pepper-from-systemd-0123456789abcdef\n' });
    const r = load({ CREDENTIALS_DIRECTORY: creds });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.ari.password).toBe('from-systemd');
    expect(r.config.evidence.pepper).toBe('pepper-from-systemd-0123456789abcdef');
  });

  it('NAME and NAME_FILE win over the credentials directory', () => {
    const creds = credentialsDir({ 'ari-password': 'from-systemd', pepper: 'pepper-from-systemd' });
    const r = load({
      CREDENTIALS_DIRECTORY: creds,
      CONSENTLINE_ARI_PASSWORD: 'direct',
      CONSENTLINE_PEPPER_FILE: secretFile('pepper-from-file'),
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.ari.password).toBe('direct');
    expect(r.config.evidence.pepper).toBe('pepper-from-file');
  });

  it('a credential that was not passed is simply absent', () => {
    const r = load({ CREDENTIALS_DIRECTORY: credentialsDir({ 'ari-password': 'only-this' }) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.ari.password).toBe('only-this');
    expect(r.config.evidence.pepper).toBeUndefined();
  });

  it('only the secrets come from there, not every override', () => {
    const r = load({ CREDENTIALS_DIRECTORY: credentialsDir({ 'api-port': '1', 'ari-url': 'http://elsewhere:1' }) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.api.port).toBe(8480);
    expect(r.config.ari.url).toBe('http://127.0.0.1:8088');
  });

  it('an empty credential file is a problem', () => {
    const creds = credentialsDir({ pepper: '' });
    const r = load({ CREDENTIALS_DIRECTORY: creds });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([`CREDENTIALS_DIRECTORY/pepper: ${join(creds, 'pepper')} is empty`]);
  });
});

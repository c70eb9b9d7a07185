import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/defaults.js';

const root = join(import.meta.dirname, '../..');

/** Dockerfile instructions with continuation lines joined. */
function dockerfile(): { instr: string; args: string }[] {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\r?\n/g, ' ');
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const sp = l.indexOf(' ');
      return { instr: l.slice(0, sp).toUpperCase(), args: l.slice(sp + 1).trim() };
    });
}

describe('Dockerfile', () => {
  const all = dockerfile();
  const lastFrom = all.map((i) => i.instr).lastIndexOf('FROM');
  const runtime = all.slice(lastFrom);
  const one = (instr: string) => runtime.filter((i) => i.instr === instr).map((i) => i.args);

  it('builds on node:22-bookworm-slim in two stages and compiles with npm run build', () => {
    const froms = all.filter((i) => i.instr === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['node:22-bookworm-slim AS build', 'node:22-bookworm-slim AS runtime']);
    expect(all.slice(0, lastFrom).some((i) => i.instr === 'RUN' && i.args.includes('npm run build'))).toBe(true);
    expect(all.slice(0, lastFrom).some((i) => i.instr === 'RUN' && i.args.includes('better-sqlite3'))).toBe(true);
  });

  it('starts node dist/main.js and exposes the API port', () => {
    expect(one('CMD')).toEqual(['["node", "dist/main.js"]']);
    expect(one('EXPOSE')).toEqual([String(DEFAULTS.apiPort)]);
    const env = one('ENV').join(' ');
    expect(env).toContain(`CONSENTLINE_API_PORT=${DEFAULTS.apiPort}`);
  });

  it('checks /health on the API port, runs as non-root, keeps data in one volume', () => {
    const hc = one('HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0]).toContain(`http://127.0.0.1:${DEFAULTS.apiPort}/health`);
    const user = one('USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(one('VOLUME')).toEqual(['["/var/lib/consentline"]']);
    expect(one('ENV').join(' ')).toContain('CONSENTLINE_DATA_DIR=/var/lib/consentline');
  });

  it('puts the CLI on the PATH as `consentline`, and its usage comment passes secrets as _FILE, never -e NAME=value', () => {
    expect(one('RUN').some((r) => r.includes('/usr/local/bin/consentline') && r.includes('node /app/dist/cli/main.js'))).toBe(true);
    const header = readFileSync(join(root, 'Dockerfile'), 'utf8').split(/\r?\n/).filter((l) => l.startsWith('#')).join('\n');
    expect(header).not.toMatch(/-e CONSENTLINE_(ARI_PASSWORD|PEPPER|AMI_SECRET|DATABASE_URL)=/);
    expect(header).toContain('-e CONSENTLINE_ARI_PASSWORD_FILE=/run/secrets/ari-password');
  });

  it('.dockerignore keeps secrets, data and node_modules out of the build context', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split(/\r?\n/);
    for (const p of ['node_modules', 'data', '.git', 'consentline.yaml', '.env', '*.key']) expect(ignore).toContain(p);
    expect(ignore).not.toContain('audio-prompts');
    expect(ignore).not.toContain('migrations');
  });
});

describe('systemd unit', () => {
  const text = readFileSync(join(root, 'deploy/systemd/consentline.service'), 'utf8').replace(/\\\r?\n/g, ' ');
  const kv = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('['))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const);
  const get = (k: string) => kv.filter(([key]) => key === k).map(([, v]) => v);

  it('is hardened', () => {
    expect(get('Restart')).toEqual(['on-failure']);
    expect(get('DynamicUser')).toEqual(['yes']);
    expect(get('StateDirectory')).toEqual(['consentline']);
    expect(get('ProtectSystem')).toEqual(['strict']);
    expect(get('NoNewPrivileges')).toEqual(['yes']);
    expect(get('ReadOnlyPaths')).toEqual([DEFAULTS.spoolDir]);
    expect(get('CapabilityBoundingSet')).toEqual(['']);
    expect(get('PrivateTmp')).toEqual(['yes']);
  });

  it('passes the four secrets as credentials and starts dist/main.js', () => {
    const creds = get('LoadCredential').map((v) => v.split(':')[0]);
    expect(creds.sort()).toEqual(['ami-secret', 'ari-password', 'pepper', 'recording-key']);
    const start = get('ExecStart');
    expect(start).toHaveLength(1);
    // No shell moving credentials into the environment: the service reads $CREDENTIALS_DIRECTORY.
    expect(start[0]).toBe('/usr/bin/node dist/main.js');
    // Secrets never appear as values in the unit itself.
    expect(get('Environment').join(' ')).not.toMatch(/PASSWORD|SECRET|PEPPER|KEY/);
  });
});

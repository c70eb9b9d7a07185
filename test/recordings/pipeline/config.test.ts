import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BUILTIN_CONFIG, loadConfig } from '../../../src/config/load.js';
import { RECORDINGS_DEFAULTS } from '../../../src/config/recordings-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-rec-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function load(recordings: unknown, env: Record<string, string> = {}) {
  const file = join(dir, `c${++n}.yaml`);
  writeFileSync(file, JSON.stringify({ ...structuredClone(BUILTIN_CONFIG), ...(recordings === undefined ? {} : { recordings }) }));
  return loadConfig({ path: file, env });
}

describe('recordings configuration', () => {
  test('the defaults are the embedded mode', () => {
    const r = load(undefined);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.recordings).toEqual(RECORDINGS_DEFAULTS);
    expect(r.config.recordings).toMatchObject({
      enabled: true,
      capture: 'dialplan',
      source: 'spool',
      spoolDir: RECORDINGS_DEFAULTS.spoolDir,
      ami: { host: '127.0.0.1', port: 5038, username: 'consentline' },
      store: { type: 'local' },
      keys: { mode: 'local' },
      quarantineDays: 7,
      doNotRecord: [],
      verify: 'read-back',
    });
  });

  test('a non-EU S3 region is refused at load, with the reason', () => {
    const r = load({ store: { type: 's3', bucket: 'cl-recordings', region: 'us-east-1' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^recordings\.store\.region: region "us-east-1" is not in the allowed list \[eu-central-1, /);
    expect(load({ store: { type: 's3', bucket: 'cl-recordings', region: 'eu-west-2' } }).ok).toBe(false); // London: not by default
    expect(load({ store: { type: 's3', bucket: 'cl-recordings', region: 'eu-west-2', allowedRegions: ['eu-west-2'] } }).ok).toBe(true);
    expect(load({ store: { type: 's3', bucket: 'cl-recordings', region: 'eu-central-1', objectLock: { mode: 'COMPLIANCE', retainDays: 365 } } }).ok).toBe(true);
  });

  test('a KMS key outside the allowed regions is refused', () => {
    const r = load({ keys: { mode: 'kms', keyArn: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatch(/^recordings\.keys\.keyArn: KMS key: region "us-west-2"/);
    expect(load({ keys: { mode: 'kms', keyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' } }).ok).toBe(true);
  });

  test('do-not-record numbers must be E.164', () => {
    const r = load({ doNotRecord: ['+48600100200', '600100200'] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual(['recordings.doNotRecord[1]: must be an E.164 number like +48600100200, found string "600100200"']);
  });

  test('capture ami works with the spool source only', () => {
    const r = load({ capture: 'ami', source: 'ari' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual(['recordings.capture: capture "ami" works with source "spool" only']);
  });

  test('CONSENTLINE_AMI_SECRET sets the AMI secret; unknown keys are refused', () => {
    const r = load(undefined, { CONSENTLINE_AMI_SECRET: 'from-env' });
    expect(r.ok && r.config.recordings.ami.secret).toBe('from-env');
    const bad = load({ store: { type: 'local', bucket: 'x' } });
    expect(bad.ok).toBe(false);
  });
});

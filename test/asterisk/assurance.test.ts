/**
 * Recording assurance on the real Asterisk: the shipped cel.conf and manager.conf send CEL over AMI
 * to ConsentLine; a consenting call whose recording is deleted from the spool while MixMonitor
 * writes it, and a recording planted in the spool for no call, are both found by
 * `consentline assurance`, which exits 1 and writes the run to the ledger.
 *
 * The planted file reaches the pipeline through the periodic spool scan only (no AMI event names
 * it), which takes a file once it is unchanged for `recordings.spoolScan.settleSeconds` and looks
 * every `intervalSeconds`: 120 s and 60 s by default, so a file written now is taken 120-180 s
 * later. (An earlier version of this file waited 150 s with the defaults and failed whenever the
 * scan's phase put the pick-up past it.) This rig scans every 2 s with a 5 s settle time. The
 * deleted recording stays `spooled` while the pipeline retries its missing source (10 attempts,
 * backing off from 2 s to 300 s by default) and counts as not recorded only once it is `failed`:
 * this rig retries every 0.1-0.5 s, and the run waits for that.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmiTap } from './harness/ami-tap.js';
import { REPO } from './harness/asterisk.js';
import { consentlineCli } from './harness/consentline.js';
import { DID, rigForFile, until } from './setup.js';

const TRUNK = 'consentline-test-trunk';
const rigOf = rigForFile({
  service: (_a, config) => ({ config: { ...config, recordings: { ...(config.recordings as object), spoolScan: { intervalSeconds: 2, settleSeconds: 5 }, worker: { initialBackoffSeconds: 0.1, maxBackoffSeconds: 0.5 } } } }),
});

/** 1 s of 8 kHz 16-bit mono silence with a RIFF header. */
function wav(): Buffer {
  const data = Buffer.alloc(16_000);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16_000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** The tap's events as test/fixtures/asterisk-transcripts/08-…json, with the rig's temp dir as /srv/pbx. */
async function recordTranscript(tap: AmiTap, asteriskDir: string): Promise<void> {
  const dir = join(REPO, 'test/fixtures/asterisk-transcripts');
  await mkdir(dir, { recursive: true });
  const transcript = tap.events.map((e) => ({ kind: 'ami', event: { ami: true, ...JSON.parse(JSON.stringify(e).replaceAll(asteriskDir, '/srv/pbx')) } }));
  const doc = {
    situation: '08-cel-consenting-call-queue-joiner',
    note:
      'A consenting call through the shipped dialplan (Stasis, recording gate, Queue with the consentline-joiner subroutine on the agent) as the shipped manager.conf user receives it: CEL (cel.conf), MixMonitor, UserEvent ConsentLineJoiner, BridgeEnter/Leave, Hangup. Recorded by test/asterisk/assurance.test.ts with RECORD_CEL=1.',
    asterisk: '22.10.1',
    transcript,
  };
  await writeFile(join(dir, '08-cel-consenting-call-queue-joiner.json'), `${JSON.stringify(doc, null, 1)}\n`);
}

describe.sequential('real Asterisk: recording assurance', () => {
  it('finds a consenting call whose recording was deleted from the spool, and a recording planted without consent', async () => {
    const rig = rigOf();
    const from = new Date(Date.now() - 60_000).toISOString();
    // RECORD_CEL=1: what the shipped AMI user receives during the call goes to a transcript fixture.
    const tap = process.env.RECORD_CEL ? await AmiTap.open(rig.asterisk.amiPort, rig.asterisk.amiUser, rig.asterisk.amiSecret) : null;
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await call.finished(await call.prompt('menu'));
    await call.press('1');
    const set = await call.waitFor('MIXMONITOR_FILENAME', (e) => e.type === 'ChannelVarset' && e.variable === 'MIXMONITOR_FILENAME', 30_000);
    // The file disappears from the spool while MixMonitor writes it (an admin's clean-up, a full disk…).
    // MixMonitor (option b) creates it with the first bridged frame, after the agent heard the joiner
    // notice: removed before that, nothing is removed and the recording is stored as usual.
    await until(() => existsSync(String(set.value)), 30_000, 'MixMonitor to create its file');
    await rm(String(set.value));
    await call.gone(60_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'continued', recording: 'yes' });
    if (tap) {
      // The last Hangup, BridgeLeave and CEL records trail the channel's destruction by a moment.
      await new Promise((r) => setTimeout(r, 3000));
      tap.close();
      await recordTranscript(tap, rig.asterisk.dir);
    }

    // A recording nobody consented to: a file dropped into the spool under the shipped name pattern.
    const planted = `consentline-${randomUUID()}-1765000000.99.wav`;
    await writeFile(join(rig.asterisk.monitorDir, planted), wav());
    const db = rig.service.dbPath;
    const ledgerDb = new (await import('better-sqlite3')).default(db, { readonly: true });
    try {
      await until(() => ledgerDb.prepare('SELECT 1 FROM recordings WHERE source_name = ?').get(planted) !== undefined, 30_000, 'the spool scan to take in the planted file');
      await until(() => (ledgerDb.prepare('SELECT state FROM recordings WHERE call_id = ?').get(ended.callId) as { state?: string } | undefined)?.state === 'failed', 60_000, 'the pipeline to give up on the deleted file');
      await until(() => (ledgerDb.prepare("SELECT count(*) AS n FROM asterisk_cel WHERE application = 'MixMonitor'").get() as { n: number }).n > 0, 30_000, 'Asterisk CEL records of MixMonitor');
      const cel = ledgerDb.prepare("SELECT event_name, application, app_arg, channel_tech FROM asterisk_cel WHERE application IN ('Stasis', 'MixMonitor') AND event_name = 'APP_START'").all();
      expect(cel).toEqual(expect.arrayContaining([expect.objectContaining({ application: 'Stasis', app_arg: 'consentline' }), expect.objectContaining({ application: 'MixMonitor', app_arg: expect.stringContaining(ended.callId) })]));
      // No caller data from CEL: the sipp caller's number is never stored.
      expect(JSON.stringify(ledgerDb.prepare('SELECT * FROM asterisk_cel').all())).not.toMatch(/48221000001/);
    } finally {
      ledgerDb.close();
    }

    const to = new Date(Date.now() + 60_000).toISOString();
    const r = await consentlineCli(['assurance', '--from', from, '--to', to, '--json', '--config', rig.service.configFile, '--db', db]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: Array<{ kind: string; subject: string; callId: string | null; detail: Record<string, unknown> }>; coverage: Record<string, unknown> };
    const notRecorded = report.findings.find((f) => f.kind === 'consented_call_not_recorded');
    expect(notRecorded, r.stdout).toMatchObject({ subject: `call:${ended.callId}`, detail: { mixMonitorSeen: true } });
    const plantedFinding = report.findings.find((f) => f.kind === 'recording_without_consent');
    expect(plantedFinding, r.stdout).toMatchObject({ detail: { sources: ['pipeline'] } });
    expect(report.coverage).toMatchObject({ ledgerCallsWithoutAsteriskRecord: 0 });
  }, 400_000);
});

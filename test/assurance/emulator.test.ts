// Asterisk's CEL records over AMI from the emulator (cel_manager's event, key for key) through the
// recordings AMI watcher into assurance's table, then a run: a call in the consent flow with no
// ledger call, and a MixMonitor on a call without a recording consent. No caller ID is stored.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CelCollector } from '../../src/assurance/collector.js';
import { AssuranceRunner } from '../../src/assurance/runner.js';
import { sqliteAssurance } from '../../src/assurance/sql-sqlite.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { createAmiWatcher } from '../../src/recordings/ami/watcher.js';
import { createLogger } from '../../src/shared/log.js';
import { AmiEmulator } from '../emulators/ami/emulator.js';

/** Assurance's repository and ledger questions on one SQLite connection, as the SQLite engine builds them. */

const dir = mkdtempSync(join(tmpdir(), 'cl-assurance-emu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('assurance with CEL from the AMI emulator', () => {
  it('stores CEL without caller data and finds the unrecorded-evidence call and the recording without consent', async () => {
    const emu = await AmiEmulator.start({ cel: true });
    const path = join(dir, 'consentline.db');
    const store = await openSqliteEvidenceStore({ path, writerThread: false });
    const { db } = openSqlite({ path });
    const { repo, ledger } = sqliteAssurance(db);
    const log = createLogger({ level: 'silent' });
    const watcher = createAmiWatcher({ host: emu.host, port: emu.port, username: 'consentline', secret: 'ami-secret' }, { logger: log });
    const collector = new CelCollector({ repo, clock: { now: () => Date.now() }, log }, { retentionDays: 35 });
    watcher.on('cel', (c) => collector.add(c));
    try {
      const connected = new Promise<void>((ok) => watcher.on('connected', () => ok()));
      watcher.start();
      await connected;
      const from = new Date(Date.now() - 60_000).toISOString();

      // Call 1: in the ledger, the caller objected (no recording consent), yet the dialplan ran MixMonitor.
      const one = emu.createLocalCall({ id: '1765100000.11', callerIdNum: '+48600123456', callerIdName: 'Jan Kowalski' });
      const callId = randomUUID();
      await store.append(
        { callId, kind: 'call.started', data: { flowId: 'main', did: '+48221234567', channelId: one.inbound.uniqueid } },
        { callOpen: { callId, startedAt: new Date().toISOString(), flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: 'pl' } },
      );
      await store.append({ callId, kind: 'consent.recording', data: { decision: 'refused' } }, { callPatch: { recording: 'no', outcome: 'objected' } });
      emu.cel(one.inbound, 'APP_START', { application: 'Stasis', appData: 'consentline,+48221234567' });
      emu.setState(one.inbound, 'Up');
      emu.startMixMonitor(one.inbound, `consentline-${callId}-1765100000.11.wav`);
      emu.hangupLocalCall(one);
      // Call 2: Asterisk sent it to the consent flow; the ledger never heard of it.
      const two = emu.createLocalCall({ id: '1765100000.12', callerIdNum: '+48600999888' });
      emu.cel(two.inbound, 'APP_START', { application: 'Stasis', appData: 'consentline,+48221234567' });
      emu.hangupLocalCall(two);

      await until(async () => (await repo.celOfCallsBetween(from, new Date(Date.now() + 60_000).toISOString())).length >= 14, () => collector.flush());
      const rows = db.prepare('SELECT * FROM asterisk_cel ORDER BY id').all() as Array<Record<string, unknown>>;
      expect(rows.map((r) => r.event_name)).toEqual(expect.arrayContaining(['CHAN_START', 'APP_START', 'ANSWER', 'HANGUP', 'CHAN_END', 'LINKEDID_END']));
      expect(JSON.stringify(rows)).not.toMatch(/600123456|600999888|Kowalski|221234567/);
      expect(rows.find((r) => r.application === 'MixMonitor')).toMatchObject({ app_arg: `consentline-${callId}-1765100000.11.wav`, channel_tech: 'Local', uniqueid: '1765100000.11-s', linkedid: '1765100000.11-c' });

      const runner = new AssuranceRunner({ repo, ledger, evidence: store, store: null, clock: { now: () => Date.now() }, stasisApp: 'consentline', stuckAfterMinutes: 60 });
      const report = await runner.run({ from, to: new Date(Date.now() + 1000).toISOString() }, 'cli');
      expect(report.findings.map((f) => `${f.kind} ${f.subject}`).sort()).toEqual([`call_without_evidence channel:1765100000.12-s`, `recording_without_consent call:${callId}`]);
      expect(report.findings.find((f) => f.kind === 'recording_without_consent')!.detail).toMatchObject({ sources: ['asterisk'], mixMonitorSeen: true, consent: 'no' });
      expect(report.coverage).toMatchObject({ asteriskCalls: 2, ledgerCalls: 1, ledgerCallsWithoutAsteriskRecord: 0, objectsListed: false });
    } finally {
      await watcher.stop();
      await collector.stop();
      await emu.stop();
      db.close();
      await store.close();
    }
  });

  it('sends nothing CEL without the option (as Asterisk without cel_manager)', async () => {
    const emu = await AmiEmulator.start();
    const log = createLogger({ level: 'silent' });
    const watcher = createAmiWatcher({ host: emu.host, port: emu.port, username: 'consentline', secret: 'ami-secret' }, { logger: log });
    const seen: unknown[] = [];
    watcher.on('cel', (c) => seen.push(c));
    try {
      const connected = new Promise<void>((ok) => watcher.on('connected', () => ok()));
      watcher.start();
      await connected;
      const call = emu.createLocalCall({ id: '1765100000.13' });
      emu.setState(call.inbound, 'Up');
      emu.hangupLocalCall(call);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual([]);
    } finally {
      await watcher.stop();
      await emu.stop();
    }
  });
});

async function until(done: () => Promise<boolean>, step: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await step();
    if (await done()) return;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

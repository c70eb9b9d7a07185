import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DatabaseTarget } from '../../src/db/pg-url.js';
import { openReadSide } from '../../src/db/engine.js';
import type { OpenCall } from '../../src/evidence/outcomes.js';
import { openStoreAt } from '../../src/cli/open-store.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { AriEmulator, type CallHandle } from '../emulators/ari/emulator.js';
import { testDatabase } from '../contract/pg-helpers.js';
import { startServiceProcess, until } from '../startup/service-process.js';
import { scenarioConfigInput } from './harness.js';
import { outcomeFindings } from './outcome-check.js';

const NOTICE_MS = 60_000;
const SERVER = 'pbx-a';
const FALLBACK = { context: 'consentline-fallback', extension: 's', priority: 1 };

const dir = mkdtempSync(join(tmpdir(), 'cl-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pgUrl = testDatabase('cl_restart');

type Proc = ReturnType<typeof startServiceProcess>;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function openCalls(target: DatabaseTarget): Promise<OpenCall[]> {
  const side = await openReadSide(target, { poolSize: 2 });
  try {
    return await side.queries.openCalls(SERVER);
  } finally {
    await side.close();
  }
}

async function eventsOf(target: DatabaseTarget, callId: string) {
  const store = await openStoreAt(target);
  try {
    return await store.callEvents(callId);
  } finally {
    await store.close();
  }
}

/** Every call.started in the ledger, as channel id → call ids. */
async function callsByChannel(target: DatabaseTarget): Promise<Map<string, string[]>> {
  const store = await openStoreAt(target);
  const byChannel = new Map<string, string[]>();
  try {
    for await (const e of store.events()) {
      if (e.kind !== 'call.started') continue;
      const channel = String(e.data.channelId);
      byChannel.set(channel, [...(byChannel.get(channel) ?? []), e.callId!]);
    }
  } finally {
    await store.close();
  }
  return byChannel;
}

/** A call another Asterisk server's instance holds open, on a channel id this server does not have. */
async function openCallOfAnotherServer(target: DatabaseTarget): Promise<string> {
  // The SQLite file does not exist yet: created here as the service would.
  const store = target.kind === 'sqlite' ? await openSqliteEvidenceStore({ path: target.path }) : await openStoreAt(target);
  const callId = randomUUID();
  const at = new Date().toISOString();
  try {
    const open = { callId, startedAt: at, flowId: 'hotline', did: '221234567', legalBasis: 'consent_by_conduct', server: 'pbx-b', language: 'pl' };
    await store.append({ callId, kind: 'call.started', at, data: { channelId: 'pbx-b-channel', server: 'pbx-b', instance: 'consentline-9' } }, { callOpen: open });
  } finally {
    await store.close();
  }
  return callId;
}

async function setup(engine: 'sqlite' | 'postgres') {
  // controlQueue: variable and continue requests wait behind the playing prompt, as on Asterisk 22.
  const emu = await AriEmulator.start({ controlQueue: true, defaultPlaybackMs: 120, playbackMs: { 'consentline/notice': NOTICE_MS } });
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(dir, `${engine}-`));
  const database = engine === 'sqlite' ? {} : { url: pgUrl() };
  const target: DatabaseTarget = engine === 'sqlite' ? { kind: 'sqlite', path: join(dataDir, 'consentline.sqlite') } : { kind: 'postgres', url: pgUrl() };
  const start = (instanceId: string): Proc => {
    const config = scenarioConfigInput({}, {
      service: { dataDir, instanceId },
      // Free ports for the API and the ops listener: another process may hold 8481.
      api: { host: '127.0.0.1', port: 0, ops: { port: 0 } },
      ari: { url: emu.url, username: emu.username, password: emu.password, requestTimeoutMs: 1000, server: SERVER },
      evidence: { pepper: 'test-pepper-0123456789abcdef0123456789' },
      recordings: { spoolDir: join(dataDir, 'spool') },
      database,
    });
    const file = join(dataDir, `${instanceId}.json`);
    writeFileSync(file, JSON.stringify(config));
    const p = startServiceProcess({ CONSENTLINE_CONFIG: file });
    cleanups.push(async () => {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await p.exited;
    });
    return p;
  };
  return { emu, target, start };
}

describe.each(['sqlite', 'postgres'] as const)('SIGKILL while calls hear the notice, restart within 3 s (%s)', (engine) => {
  it('calls still in Stasis go on at once under their own id, unrecorded; calls hung up meanwhile are closed; one outcome each', async () => {
    const { emu, target, start } = await setup(engine);
    const otherServersCall = await openCallOfAnotherServer(target);
    const first = start('consentline-1');
    await emu.waitFor(() => emu.appConnected(), { what: 'the first service connecting', timeoutMs: 60_000 });
    const calls: CallHandle[] = [0, 1, 2, 3].map((i) => emu.originate({ callerNumber: `+4860010020${i}`, exten: '221234567', language: 'pl' }));
    await until(async () => (await openCalls(target)).length === calls.length, 'every call.started durable', 30_000);
    await Promise.all(calls.map((c) => emu.waitForEvent('PlaybackStarted', { channelId: c.id, timeoutMs: 10_000 })));
    const idOf = new Map((await openCalls(target)).map((c) => [c.channelId, c.callId]));
    const [stay1, stay2, gone1, gone2] = calls as [CallHandle, CallHandle, CallHandle, CallHandle];

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    // Two callers hang up while no service watches.
    gone1.hangup();
    gone2.hangup();
    // Another instance takes over: calls belong to the Asterisk server they are on, not to an instance.
    const second = start('consentline-2');
    expect(Date.now() - killedAt).toBeLessThan(3000);

    await emu.waitFor(() => emu.appConnected(), { what: 'the second service connecting', timeoutMs: 60_000 });
    const reconnectedAt = Date.now();
    await emu.waitFor(() => [stay1, stay2].every((c) => c.continuedTo !== null), { what: 'the callers in Stasis sent on', timeoutMs: 30_000 });
    for (const c of [stay1, stay2]) {
      const view = emu.channel(c.id)!;
      expect(view.continuedTo).toEqual(FALLBACK);
      // Set, not left unset; and CONSENT_ID names the call the ledger opened before the kill.
      expect(view.variables).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_MARKETING: 'none', CONSENT_ID: idOf.get(c.id) });
      // The notice was stopped, not waited for: it had most of its 60 s left at the kill.
      expect(view.continuedAt! - killedAt).toBeLessThan(NOTICE_MS / 2);
      expect(view.continuedAt! - reconnectedAt).toBeLessThan(5_000);
      expect(emu.requests.some((r) => r.method === 'DELETE' && r.path === `/playbacks/${idOf.get(c.id)}-1`)).toBe(true);
    }

    // The hung-up calls are closed at reconcile, explicitly.
    await until(async () => (await openCalls(target)).length === 0, 'no call of this server left open', 30_000);
    for (const c of [gone1, gone2]) {
      const events = await eventsOf(target, idOf.get(c.id)!);
      expect(events.map((e) => e.kind)).toEqual(['call.started', 'call.abandoned']);
      expect(events[1]!.data).toMatchObject({ reason: 'ended_while_service_down', recording: 'no' });
    }
    for (const c of [stay1, stay2]) {
      const events = await eventsOf(target, idOf.get(c.id)!);
      expect(events.map((e) => e.kind)).toEqual(['call.started', 'call.failed']);
      expect(events[1]!.data).toMatchObject({ reason: 'resumed_after_restart', step: 'notice', recording: 'no', route: 'fallback' });
    }
    // One call per channel, one outcome per call.
    const byChannel = await callsByChannel(target);
    const split = [...byChannel].filter(([, ids]) => ids.length !== 1);
    const reconcileLog = second.lines.filter((l) => /reconcile|orphan|crashed/.test(String(l.msg)));
    expect(split, JSON.stringify(reconcileLog)).toEqual([]);
    // Only the other server's call, which this instance must not touch, lacks its outcome.
    expect(await outcomeFindings(target)).toEqual([expect.objectContaining({ callId: otherServersCall, server: 'pbx-b', outcomes: 0 })]);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);
});

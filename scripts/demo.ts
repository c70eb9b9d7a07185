/**
 * npm run demo — ConsentLine end to end without a PBX.
 *
 * Starts the service on its embedded defaults (SQLite, local encrypted store) against the ARI
 * and AMI emulators from the tests, plays the dialplan's part (MixMonitor only when
 * CONSENT_RECORDING=yes), places a dozen calls down every path, waits for the recordings to
 * be encrypted and stored, then prints what happened, the console's and the API's addresses,
 * auditor, DPO and admin tokens and requests to try (test/demo/demo.test.ts runs every one of them).
 * DEMO_DATABASE_URL=postgres://… runs it on PostgreSQL instead of the embedded SQLite file.
 * Ctrl-C stops everything cleanly.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../src/config/schema.js';
import { engineFor } from '../src/db/engine.js';
import { databaseTarget } from '../src/evidence/open-store.js';
import { realAri } from '../src/main-ari.js';
import { loadPromptCatalog } from '../src/prompts/manifest.js';
import { startService } from '../src/server.js';
import { createLogger } from '../src/shared/log.js';
import { AmiEmulator } from '../test/emulators/ami/index.js';
import { AriEmulator, hangUpDuring, pressAfter, pressDuring, type CallerScript } from '../test/emulators/ari/emulator.js';

const AMI_SECRET = 'demo-ami-secret';
const MENU = 'consentline/menu';

/** The calls the demo places: a name, the caller's script, who calls. */
const CALLS: ReadonlyArray<{ path: string; caller: string; script: CallerScript }> = [
  { path: 'notice, then key 1 (agents)', caller: '+48600100201', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '1', 50), pressAfter('consentline/marketing-consent', '2', 50)] },
  { path: 'English, key 1, marketing yes', caller: '+44700900123', script: [pressAfter('consentline/lang-choice', '2', 50), pressAfter(MENU, '1', 50), pressAfter('consentline/marketing-consent', '1', 50)] },
  { path: 'hang-up during the notice', caller: '+48600100202', script: [hangUpDuring('consentline/notice', 300)] },
  { path: 'objection (key 9)', caller: '+48600100203', script: [pressAfter('consentline/lang-choice', '1', 50), pressDuring(MENU, '9', 200)] },
  { path: 'clause (key 8), then key 1', caller: '+48600100204', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '8', 50), pressAfter('consentline/clause', '1', 50), pressAfter('consentline/marketing-consent', '2', 50)] },
  { path: 'hang-up during the clause', caller: '+48600100205', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '8', 50), hangUpDuring('consentline/clause', 400)] },
  { path: 'marketing yes', caller: '+48600100206', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '1', 50), pressAfter('consentline/marketing-consent', '1', 50)] },
  { path: 'marketing no', caller: '+48600100207', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '1', 50), pressAfter('consentline/marketing-consent', '2', 50)] },
  { path: 'marketing: no answer', caller: '+48600100208', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '1', 50)] },
  { path: 'invalid key, then silence', caller: '+48600100209', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '7', 50)] },
  { path: 'no key at all (defaults)', caller: '+48600100210', script: [] },
  { path: 'anonymous caller, key 1', caller: 'anonymous', script: [pressAfter('consentline/lang-choice', '1', 50), pressAfter(MENU, '1', 50), pressAfter('consentline/marketing-consent', '2', 50)] },
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-demo-'));
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir);
  const ari = await AriEmulator.start({ defaultPlaybackMs: 400, playbackMs: { 'consentline/clause': 1500, 'consentline/notice': 1200 } });
  const ami = await AmiEmulator.start({
    monitorDir: spoolDir,
    users: [{ username: 'consentline', secret: AMI_SECRET, read: ['call', 'dialplan'], write: ['call'] }],
  });
  const config = ConfigSchema.parse({
    service: { dataDir: join(dir, 'data'), logLevel: 'warn' },
    ...(process.env.DEMO_DATABASE_URL ? { database: { url: process.env.DEMO_DATABASE_URL } } : {}),
    ari: { url: ari.url, username: ari.username, password: ari.password },
    api: { port: Number(process.env.DEMO_API_PORT ?? 8480), ops: { port: Number(process.env.DEMO_OPS_PORT ?? 8481) } },
    controller: {
      name: 'Demo Controller Sp. z o.o.',
      jurisdiction: 'PL',
      contact: 'Inspektor Ochrony Danych',
      address: { streetAddress: 'ul. Przykładowa 1', locality: 'Warszawa', postalCode: '00-001', country: 'PL' },
      email: 'iod@demo.example',
      phone: '+48 22 123 45 67',
      policyUrl: 'https://demo.example/rodo/nagrywanie',
    },
    routes: {
      agents: { context: 'consentline-after', extension: 'agents' },
      fallback: { context: 'consentline-fallback', extension: 's' },
    },
    flows: [
      {
        id: 'hotline',
        default: true,
        legalBasis: 'consent_by_conduct',
        languages: { default: 'pl', offered: ['pl', 'en'], choice: { '1': 'pl', '2': 'en' } },
        menu: { '1': { action: 'route', route: 'agents' }, '8': { action: 'clause' }, '9': { action: 'objection' }, '0': { action: 'repeat' } },
        marketing: { controller: 'Demo Controller Spółka z o.o., ul. Przykładowa 1, 00-001 Warszawa', channels: ['phone', 'sms', 'email'] },
        timeouts: { digitSeconds: 1.5, callSeconds: 60 },
        retries: { menu: 1, question: 0 },
        defaultRoute: 'agents',
        fallbackRoute: 'fallback',
      },
    ],
    recordings: {
      spoolDir,
      ami: { host: '127.0.0.1', port: ami.port, username: 'consentline', secret: AMI_SECRET },
      spoolScan: { intervalSeconds: 2, settleSeconds: 2 },
    },
  });

  console.log('ConsentLine demo: data in %s', dir);
  const service = await startService({
    config,
    log: createLogger({ level: 'warn' }),
    createAri: realAri,
    loadPrompts: (d) => loadPromptCatalog(d),
  });
  await ari.waitFor(() => ari.appConnected(), { what: 'ConsentLine connecting to ARI', timeoutMs: 30_000 });

  // The dialplan's part: after Stasis, record only when CONSENT_RECORDING=yes, then the agent talks and hangs up.
  const dialplan = (channelId: string, n: number) => {
    const ch = ari.channel(channelId);
    if (!ch?.continuedTo || ch.variables.CONSENT_RECORDING !== 'yes') return;
    const call = ami.createLocalCall({ id: `demo${n}`, callerIdNum: 'hidden', exten: 'agents', context: 'consentline-after' });
    for (const [name, value] of Object.entries(ch.variables)) ami.setVar(call.inbound, name, value);
    ami.startMixMonitor(call.inbound, `consentline-${ch.variables.CONSENT_ID}-demo${n}s.wav`, { seconds: 3 });
    setTimeout(() => ami.hangupLocalCall(call), 1500);
  };

  console.log('placing %d calls…', CALLS.length);
  const handles = CALLS.map((c, i) => ({ ...c, handle: ari.originate({ callerNumber: c.caller, exten: '221234567', language: 'pl', script: c.script }), n: i + 1 }));
  await Promise.all(
    handles.map(async ({ handle, n }) => {
      await handle.outcome();
      dialplan(handle.id, n);
    }),
  );
  await service.calls.drain();

  process.stdout.write('waiting for recordings to be encrypted and stored');
  const deadline = Date.now() + 60_000;
  await new Promise((r) => setTimeout(r, 2000));
  while (service.recordings && service.recordings.pipeline.queueStats().depth > 0 && Date.now() < deadline) {
    process.stdout.write('.');
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write('\n\n');

  // The call of each channel from the ledger itself, and the recordings and tokens on the same database (either engine).
  const engine = engineFor(databaseTarget(config));
  const callOfChannel = new Map<string, string>();
  for await (const e of service.store.events()) if (e.kind === 'call.started' && e.callId) callOfChannel.set(String(e.data.channelId), e.callId);
  const side = engine.openRecordingDb();
  if (!side) throw new Error(`no database at ${engine.description}`);
  const rows = [];
  for (const { path, handle, n } of handles) {
    const callId = handle.variables().CONSENT_ID ?? callOfChannel.get(handle.id);
    const summary = callId ? await service.store.getCall(callId) : null;
    const rec = callId ? (await side.recordings.ofCall(callId))[0]?.state : undefined;
    rows.push({
      '#': n,
      path,
      outcome: summary?.outcome ?? '?',
      recording: summary?.recording ?? '-',
      marketing: summary?.marketing ?? '-',
      lang: summary?.language ?? '-',
      stored: rec ?? '-',
      caller: summary?.callerMasked ?? '(none)',
      callId: callId ?? '-',
    });
  }
  console.table(rows);
  const verify = await service.store.verify();
  console.log('ledger: %s', verify.ok ? `intact, ${verify.checked} events` : `BROKEN at seq ${verify.brokenAt}`);

  const auditor = (await side.tokens.create('demo auditor', 'auditor', 'demo-auditor')).token;
  const dpo = (await side.tokens.create('demo dpo', 'dpo', 'demo-dpo')).token;
  const admin = (await side.tokens.create('demo admin', 'admin', 'demo-admin')).token;
  await side.close();
  const sample = rows.find((r) => r.callId !== '-')?.callId ?? '';
  const api = service.apiUrl;
  const today = new Date().toISOString().slice(0, 10);
  const curl = (token: string, path: string) => `  curl -s -H 'authorization: Bearer ${token}' '${api}${path}'`;
  console.log(`
Console: ${api}/console   (in a browser: sign in by pasting one of the tokens below)
API:     ${api}   (OpenAPI UI: ${api}/docs)
Token:   ${auditor}   (role auditor: reads evidence)
DPO:     ${dpo}   (role dpo: also receipts, recordings, holds, caller search)
Admin:   ${admin}   (role admin: also the configuration, checkpoints)
Ops:     ${service.opsUrl ?? '(off)'}   (/ready and /metrics without a token)

Try (auditor):
${curl(auditor, '/calls?limit=5')}
${curl(auditor, `/calls/${sample}/timeline`)}
${curl(auditor, `/stats?from=${today}&to=${today}`)}
${curl(auditor, '/ledger/verify')}
Try (dpo):
${curl(dpo, `/calls/${sample}/receipt`)}
${curl(dpo, `/calls/${sample}/recordings`)}
Try (admin):
${curl(admin, '/config')}
${service.opsUrl ? `Try (no token, ops listener):\n  curl -s '${service.opsUrl}/metrics'\n` : ''}Try (command line):
  npm run consentline -- ledger verify --db ${engine.file ?? engine.description}

Ctrl-C to stop.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await service.stop();
    await ari.close();
    await ami.stop();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (process.env.DEMO_EXIT === '1') await stop();
}

await main();

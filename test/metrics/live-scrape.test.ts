/**
 * The running service's /metrics, after real traffic (calls through the ARI emulator, a signed
 * checkpoint), checked by Prometheus's own `promtool check metrics`, and against every metric
 * name the sample Grafana dashboard and alert rules in deploy/ use.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { openSqlite, type SqliteDatabase } from '../../src/db/sqlite.js';
import { databaseTarget } from '../../src/evidence/open-store.js';
import { hangUpDuring, pressAfter, pressDuring } from '../emulators/ari/emulator.js';
import { startScenario } from '../scenarios/harness.js';
import { declaredFamilies, promtool, runPromtool, sampleValue } from './promtool.js';
import { dashboardMetricNames, ruleMetricNames } from './deploy-names.js';

type Scenario = Awaited<ReturnType<typeof startScenario>>;
let s: Scenario;
let db: SqliteDatabase;
let token: string;

/** As Prometheus scrapes it: the ops listener, no token. */
async function scrape(): Promise<string> {
  expect(s.service.opsUrl).not.toBeNull();
  const res = await fetch(`${s.service.opsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function post(path: string) {
  return fetch(`${s.service.apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
}

let before: string;
let after: string;
beforeAll(async () => {
  s = await startScenario();
  const target = databaseTarget(s.config);
  if (target.kind !== 'sqlite') throw new Error('the scenario runs on SQLite');
  db = openSqlite({ path: target.path }).db;
  token = (await new SqliteTokenStore(db).create('metrics-test', 'admin')).token;
  await s.call({ script: [pressAfter('consentline/menu', '1', 50)] });
  await s.call({ script: [pressDuring('consentline/menu', '9', 30)] });
  await s.call({ script: [hangUpDuring('consentline/notice', 40)] });
  before = await scrape();
  expect((await post('/checkpoints')).status).toBeLessThan(300);
  after = await scrape();
}, 60_000);
afterAll(async () => {
  db?.close();
  await s?.stop();
});

describe('/metrics of the running service', () => {
  it.skipIf(!promtool)('passes promtool check metrics with no finding', () => {
    const r = runPromtool(['check', 'metrics'], after);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!promtool)('promtool check metrics does find a gauge named like a counter (the check can fail)', () => {
    const bad = '# HELP x_active_handles_total h\n# TYPE x_active_handles_total gauge\nx_active_handles_total 1\n';
    const r = runPromtool(['check', 'metrics'], bad);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('non-counter metrics should not have "_total" suffix');
  });

  it('the API listener serves the same families to an auditor token', async () => {
    const res = await fetch(`${s.service.apiUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect([...declaredFamilies(await res.text()).keys()].sort()).toEqual([...declaredFamilies(after).keys()].sort());
  });

  it('has the standard process and Node.js metrics under their usual names, without the three *_total gauges', () => {
    const families = declaredFamilies(after);
    expect(families.get('process_cpu_seconds_total')).toBe('counter');
    expect(families.get('process_resident_memory_bytes')).toBe('gauge');
    expect(families.get('process_start_time_seconds')).toBe('gauge');
    expect(families.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(families.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(families.get('nodejs_active_handles')).toBe('gauge');
    expect([...families.keys()].filter((n) => n.startsWith('consentline_process_'))).toEqual([]);
    expect([...families.keys()].filter((n) => n.startsWith('nodejs_active_') && n.endsWith('_total'))).toEqual([]);
    for (const [name, type] of families) if (type !== 'counter') expect(name).not.toMatch(/_total$/);
  });

  it('observes the time spent in each flow step the calls went through', () => {
    // Three calls each played the notice; two reached the menu; one hung up in the notice.
    expect(sampleValue(after, 'consentline_flow_step_seconds_count', 'step="notice"')).toBe(3);
    expect(sampleValue(after, 'consentline_flow_step_seconds_count', 'step="menu"')).toBe(2);
    expect(sampleValue(after, 'consentline_flow_step_seconds_sum', 'step="notice"')).toBeGreaterThan(0);
    expect(sampleValue(after, 'consentline_calls_total', 'outcome="continued",recording="yes"')).toBe(1);
    expect(sampleValue(after, 'consentline_ledger_append_seconds_count')).toBeGreaterThan(0);
    // Closed label sets are there at 0 before anything happened, so the first failure is an increase.
    expect(sampleValue(after, 'consentline_calls_total', 'outcome="failed",recording="no"')).toBe(0);
    expect(sampleValue(after, 'consentline_failures_total', 'kind="evidence_write"')).toBe(0);
  });

  it('exports the age and lag of the latest checkpoint: 0 and all events before the first, then its time and 0', async () => {
    const head = (await s.service.store.head())!.seq;
    expect(sampleValue(before, 'consentline_checkpoint_last_signed_timestamp_seconds')).toBe(0);
    expect(sampleValue(before, 'consentline_checkpoint_lag_events')).toBe(head);
    const signedAt = sampleValue(after, 'consentline_checkpoint_last_signed_timestamp_seconds')!;
    expect(Math.abs(signedAt - Date.now() / 1000)).toBeLessThan(60);
    expect(sampleValue(after, 'consentline_checkpoint_lag_events')).toBe(0);
    expect(sampleValue(after, 'consentline_ari_connected', `server="${s.config.ari.server}"`)).toBe(1);
    expect(sampleValue(after, 'consentline_ami_connected')).toBe(0); // recordings on, no AMI secret in the scenario
    for (const check of ['ledger', 'checkpoint', 'recording']) expect(sampleValue(after, 'consentline_verification_failures_total', `check="${check}"`)).toBe(0);
  });

  // Breaks the ledger: the tests after it read only the scrapes taken before.
  it('a GET /ledger/verify that finds the chain broken counts as a ledger verification failure', async () => {
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    db.prepare(`UPDATE events SET data = json_set(data, '$.lang', 'xx') WHERE seq = 1`).run();
    const res = await fetch(`${s.service.apiUrl}/ledger/verify`, { headers: { authorization: `Bearer ${token}` } });
    expect(await res.json()).toMatchObject({ ok: false, brokenAt: 1 });
    const text = await scrape();
    expect(sampleValue(text, 'consentline_verification_failures_total', 'check="ledger"')).toBe(1);
    expect(sampleValue(text, 'consentline_verification_failures_total', 'check="checkpoint"')).toBe(0);
  });

  it('has every metric the sample dashboard and alert rules use', () => {
    const series = new Set(after.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!));
    const used = [...new Set([...dashboardMetricNames(readFileSync('deploy/grafana/consentline.json', 'utf8')), ...ruleMetricNames(readFileSync('deploy/prometheus/consentline-alerts.yml', 'utf8'))])];
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((name) => !series.has(name))).toEqual([]);
  });
});

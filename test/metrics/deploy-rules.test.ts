/**
 * The sample alert rules and Grafana dashboard in deploy/, checked with Prometheus's promtool:
 * the rules file is valid, its unit tests (test/fixtures/prometheus) pass, and every dashboard
 * query parses as PromQL. That the metrics they name exist is checked on a live scrape in
 * live-scrape.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { promtool, runPromtool } from './promtool.js';
import { dashboardMetricNames, metricNamesIn } from './deploy-names.js';

const RULES = 'deploy/prometheus/consentline-alerts.yml';
const DASHBOARD = 'deploy/grafana/consentline.json';
const dir = mkdtempSync(join(tmpdir(), 'cl-promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: { expr: string }[];
}

/** Grafana's variables put back as PromQL, so promtool can parse the panel queries. */
const asPromQL = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*');

/** The dashboard's queries as recording rules: `promtool check rules` parses each expression. */
function dashboardAsRules(): string {
  const panels = (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] }).panels;
  const rules = panels.flatMap((p) => (p.targets ?? []).map((t, i) => ({ record: `dashboard:panel_${p.title.replace(/\W+/g, '_')}:${i}`, expr: asPromQL(t.expr) })));
  return stringify({ groups: [{ name: 'dashboard', rules }] });
}

describe('deploy/: alert rules and dashboard', () => {
  it.skipIf(!promtool)('promtool check rules accepts the alert rules', () => {
    const r = runPromtool(['check', 'rules', RULES]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it.skipIf(!promtool)('promtool test rules: the alerts fire (and stay quiet) as their unit tests expect', () => {
    const r = runPromtool(['test', 'rules', 'test/fixtures/prometheus/consentline-alerts.test.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.skipIf(!promtool)('every dashboard query parses as PromQL, and a broken one would be caught', () => {
    const good = join(dir, 'dashboard-rules.yml');
    writeFileSync(good, dashboardAsRules());
    const r = runPromtool(['check', 'rules', good]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
    const bad = join(dir, 'broken.yml');
    writeFileSync(bad, stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum by (le (rate(consentline_calls_total[5m]))' }] }] }));
    expect(runPromtool(['check', 'rules', bad]).status).not.toBe(0);
  });

  it('the dashboard has queries on every non-row panel, all through the datasource variable', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: (Panel & { datasource?: { uid: string } })[] };
    expect(dash.uid).toBe('consentline');
    const panels = dash.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      for (const t of p.targets!) expect(metricNamesIn(t.expr).length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
    }
    expect(new Set(dashboardMetricNames(JSON.stringify(dash)))).toContain('process_cpu_seconds_total');
  });
});

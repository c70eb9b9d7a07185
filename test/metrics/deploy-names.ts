import { parse } from 'yaml';

/** Our metric names in a PromQL expression (ours, and the standard process_/nodejs_ ones). */
export function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:consentline|process|nodejs)_[a-zA-Z0-9_]+\b/g)].map((m) => m[0]);
}

/** Every metric named by an `expr` anywhere in a Grafana dashboard (panels, rows, templating). */
export function dashboardMetricNames(json: string): string[] {
  const names: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'expr' || k === 'query') && typeof x === 'string') names.push(...metricNamesIn(x));
        else walk(x);
      }
    }
  };
  walk(JSON.parse(json));
  return names;
}

/** Every metric named by the expressions of a Prometheus rules file. */
export function ruleMetricNames(yaml: string): string[] {
  const doc = parse(yaml) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.flatMap((r) => metricNamesIn(String(r.expr))));
}

// The overview's figures (the console's charts and their CSV): calls per UTC day, flow and
// language with their outcomes, clause listens and marketing answers. One query for both
// engines on call_day_stats (migration 0052: counters kept by triggers on calls and call_facts),
// a range of its primary key: one row per day, flow and language of the period, whatever the
// number of calls in it.
import type { OverviewQuery, OverviewRow } from './queries.js';
import type { SearchSqlStyle } from './sql-style.js';

export type { OverviewQuery, OverviewRow } from './queries.js';

export interface OverviewSqlRow {
  day: string;
  flowId: string;
  language: string;
  calls: number | string;
  continued: number | string | null;
  objected: number | string | null;
  abandoned: number | string | null;
  failed: number | string | null;
  clauseListens: number | string | null;
  marketingYes: number | string | null;
  marketingNo: number | string | null;
}

export function overviewSql(q: OverviewQuery, style: SearchSqlStyle): { sql: string; values: unknown[] } {
  const values: unknown[] = [q.fromDay, q.toDay];
  const where = [`day >= ${style.placeholder(1)}`, `day <= ${style.placeholder(2)}`, 'calls > 0'];
  if (q.flowId !== undefined) {
    values.push(q.flowId);
    where.push(`flow_id = ${style.placeholder(values.length)}`);
  }
  if (q.language !== undefined) {
    values.push(q.language);
    where.push(`language = ${style.placeholder(values.length)}`);
  }
  const c = style.idCollation;
  const sql = `SELECT day, flow_id AS "flowId", language, calls, continued, objected, abandoned, failed,
    clause_listens AS "clauseListens", marketing_yes AS "marketingYes", marketing_no AS "marketingNo"
  FROM call_day_stats WHERE ${where.join(' AND ')}
  ORDER BY day${c}, flow_id${c}, language${c}`;
  return { sql, values };
}

export function toOverviewRow(r: OverviewSqlRow): OverviewRow {
  const n = (v: number | string | null) => Number(v ?? 0);
  const row = {
    day: r.day,
    flowId: r.flowId,
    language: r.language === '' ? null : r.language,
    calls: n(r.calls),
    continued: n(r.continued),
    objected: n(r.objected),
    abandoned: n(r.abandoned),
    failed: n(r.failed),
    clauseListens: n(r.clauseListens),
    marketingYes: n(r.marketingYes),
    marketingNo: n(r.marketingNo),
  };
  return { ...row, open: row.calls - row.continued - row.objected - row.abandoned - row.failed };
}

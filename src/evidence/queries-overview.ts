// The overview's figures (the console's charts and their CSV): calls per UTC day, flow and
// language with their outcomes, clause listens and marketing answers. One query for both
// engines, on the calls projection and call_facts (indexed by started_at, flow or language):
// a range scan of the period, never the events.
import type { OverviewQuery, OverviewRow } from './queries.js';
import { nextDay } from './queries-shared.js';
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

const count = (column: string, value: string) => `sum(CASE WHEN c.${column} = '${value}' THEN 1 ELSE 0 END)`;

export function overviewSql(q: OverviewQuery, style: SearchSqlStyle): { sql: string; values: unknown[] } {
  const values: unknown[] = [q.fromDay, nextDay(q.toDay)];
  const where = [`c.started_at >= ${style.placeholder(1)}`, `c.started_at < ${style.placeholder(2)}`];
  if (q.flowId !== undefined) {
    values.push(q.flowId);
    where.push(`c.flow_id = ${style.placeholder(values.length)}`);
  }
  if (q.language !== undefined) {
    values.push(q.language);
    where.push(`c.language = ${style.placeholder(values.length)}`);
  }
  const day = 'substr(c.started_at, 1, 10)';
  const language = "coalesce(c.language, '')";
  const c = style.idCollation;
  const sql = `SELECT ${day} AS day, c.flow_id AS "flowId", ${language} AS language,
    count(*) AS calls,
    ${count('outcome', 'continued')} AS continued, ${count('outcome', 'objected')} AS objected,
    ${count('outcome', 'abandoned')} AS abandoned, ${count('outcome', 'failed')} AS failed,
    coalesce(sum(f.clause_listens), 0) AS "clauseListens",
    ${count('marketing', 'yes')} AS "marketingYes", ${count('marketing', 'no')} AS "marketingNo"
  FROM calls c LEFT JOIN call_facts f ON f.call_id = c.call_id
  WHERE ${where.join(' AND ')}
  GROUP BY ${day}, c.flow_id, ${language}
  ORDER BY ${day}${c}, c.flow_id${c}, ${language}${c}`;
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

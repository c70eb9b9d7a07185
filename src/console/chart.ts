/**
 * The overview's charts as SVG drawn on the server: no script, no chart library, nothing from
 * another origin. Colours come from classes in assets/console.css (the CSP allows no inline
 * style). Every bar carries its figure in data-* attributes and a <title> (the tooltip); the
 * page puts the same figures in a table beside each chart for screen readers and the CSV.
 */
import { html, type Html } from './html.js';
import { niceScale, scaleTo, sharesOf } from './chart-scale.js';

export interface Series {
  readonly key: string;
  readonly label: string;
  readonly values: readonly number[];
}

const W = 960;
const H = 240;
const PAD = { left: 48, right: 8, top: 10, bottom: 28 };
const r1 = (n: number) => Math.round(n * 10) / 10;

export function legend(series: ReadonlyArray<{ key: string; label: string }>): Html {
  return html`<ul class="legend">${series.map((s) => html`<li><span class="swatch s-${s.key}" aria-hidden="true"></span>${s.label}</li>`)}</ul>`;
}

/** Columns per label (a day), each stacked from its series; a value axis with nice ticks. */
export function stackedColumns(opts: { id: string; caption: string; labels: readonly string[]; tickLabel: (label: string) => string; series: readonly Series[] }): Html {
  const { labels, series } = opts;
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const scale = niceScale(Math.max(0, ...totals));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.max(1, slot * 0.75);
  const every = Math.max(1, Math.ceil(labels.length / 12));
  const y = (v: number) => PAD.top + plotH - scaleTo(v, scale, plotH);
  const grid = scale.ticks.map(
    (t) => html`<g class="tick"><line x1="${PAD.left}" x2="${W - PAD.right}" y1="${r1(y(t))}" y2="${r1(y(t))}"></line><text x="${PAD.left - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${t}</text></g>`,
  );
  const columns = labels.map((label, i) => {
    let base = 0;
    const x = r1(PAD.left + i * slot + (slot - barW) / 2);
    const rects = series.map((s) => {
      const v = s.values[i] ?? 0;
      const top = y(base + v);
      const h = r1(y(base) - top);
      base += v;
      return v > 0
        ? html`<rect class="s-${s.key}" x="${x}" y="${r1(top)}" width="${r1(barW)}" height="${h}" data-label="${label}" data-series="${s.key}" data-value="${v}"><title>${label}: ${s.label} ${v}</title></rect>`
        : '';
    });
    const tick = i % every === 0 ? html`<text class="x" x="${r1(x + barW / 2)}" y="${H - 8}" text-anchor="middle">${opts.tickLabel(label)}</text>` : '';
    return html`<g class="column" data-label="${label}" data-total="${totals[i]}">${rects}${tick}</g>`;
  });
  return html`<figure class="chart" id="${opts.id}"><figcaption id="${opts.id}-cap">${opts.caption}</figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${opts.id}-cap" preserveAspectRatio="xMidYMid meet">${grid}${columns}</svg>
${legend(series)}</figure>`;
}

export interface BarRow {
  readonly label: string;
  readonly parts: ReadonlyArray<{ readonly key: string; readonly label: string; readonly value: number }>;
}

/**
 * Horizontal bars, one per row. `share`: each bar is its row's whole, split into parts with
 * whole-number percentages; `count`: bars on one shared count axis.
 */
export function horizontalBars(opts: { id: string; caption: string; rows: readonly BarRow[]; mode: 'share' | 'count' }): Html {
  const rowH = 30;
  const labelW = 300;
  const plotW = W - labelW - 60;
  const height = Math.max(1, opts.rows.length) * rowH + 8;
  const totals = opts.rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0));
  const scale = niceScale(Math.max(0, ...totals));
  const bars = opts.rows.map((row, i) => {
    const y = 4 + i * rowH;
    const total = totals[i]!;
    const shares = sharesOf(row.parts.map((p) => p.value));
    let x = labelW;
    const segs = row.parts.map((p, k) => {
      const w = opts.mode === 'share' ? (total > 0 ? (p.value / total) * plotW : 0) : scaleTo(p.value, scale, plotW);
      const at = x;
      x += w;
      const what = opts.mode === 'share' ? `${p.value} (${shares[k]}%)` : `${p.value}`;
      return p.value > 0
        ? html`<rect class="s-${p.key}" x="${r1(at)}" y="${y}" width="${r1(w)}" height="${rowH - 8}" data-row="${row.label}" data-series="${p.key}" data-value="${p.value}" data-share="${shares[k]}"><title>${row.label}: ${p.label} ${what}</title></rect>`
        : '';
    });
    return html`<g class="bar" data-row="${row.label}" data-total="${total}"><text x="${labelW - 8}" y="${y + rowH / 2}" text-anchor="end">${row.label}</text>${segs}<text class="end" x="${r1(x + 6)}" y="${y + rowH / 2}">${total}</text></g>`;
  });
  const keys = new Map(opts.rows.flatMap((r) => r.parts.map((p) => [p.key, p.label] as const)));
  return html`<figure class="chart" id="${opts.id}"><figcaption id="${opts.id}-cap">${opts.caption}</figcaption>
<svg viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="${opts.id}-cap" preserveAspectRatio="xMidYMid meet">${bars}</svg>
${legend([...keys.entries()].map(([key, label]) => ({ key, label })))}</figure>`;
}

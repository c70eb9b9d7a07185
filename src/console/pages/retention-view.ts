import type { PageContext } from '../context.js';
import { html, type Html } from '../html.js';
import { formatTime } from '../i18n.js';
import { csrfField } from '../layout.js';
import type { PoliciesView, PolicyView, SweepView } from '../views-dpo.js';

/** Why a sweep kept what it kept, one line per reason that occurred (the report's counts). */
export function keptReasons(s: SweepView): Array<{ key: string; n: number }> {
  const r = s.recordings;
  const e = s.evidence;
  return [
    { key: 'retention.why.held', n: r.held },
    { key: 'retention.why.locked', n: r.locked },
    { key: 'retention.why.failed', n: r.failed },
    { key: 'retention.why.busy', n: r.busy },
    { key: 'retention.why.evHeld', n: e.held },
    { key: 'retention.why.consent', n: e.consentKept },
  ].filter((x) => x.n > 0);
}

export function policiesTable(ctx: PageContext, p: PoliciesView): Html {
  const { t } = ctx;
  const row = (name: Html | string, v: PolicyView) => html`<tr><th scope="row">${name}</th><td>${v.recordingsDays}</td><td>${v.evidenceDays}</td><td>${v.quarantineDays}</td></tr>`;
  return html`<section class="panel" aria-labelledby="policies-h"><h2 id="policies-h">${t('retention.policies')}</h2>
<table class="policies"><thead><tr><th scope="col">${t('retention.col.flow')}</th><th scope="col">${t('retention.col.recordings')}</th><th scope="col">${t('retention.col.evidence')}</th><th scope="col">${t('retention.col.quarantine')}</th></tr></thead>
<tbody>${Object.entries(p.flows)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([flow, v]) => row(html`<code>${flow}</code>`, v))}${row(t('retention.default'), p.default)}</tbody></table></section>`;
}

export function runForms(ctx: PageContext): Html {
  const { t } = ctx;
  const form = (dry: boolean, label: string, cls: string) =>
    html`<form method="post" action="/console/retention/sweeps" class="inline">${csrfField(ctx)}<input type="hidden" name="dryRun" value="${dry ? 'true' : 'false'}"><button type="submit"${cls ? html` class="${cls}"` : ''}>${label}</button></form>`;
  return html`<section class="panel" aria-labelledby="run-h"><h2 id="run-h">${t('retention.run')}</h2><p class="hint">${t('retention.run.hint')}</p>
<p>${form(true, t('retention.run.dry'), 'secondary')} ${form(false, t('retention.run.real'), '')}</p></section>`;
}

const ids = (xs: readonly (string | null | undefined)[]) => xs.filter((x): x is string => !!x).join(', ');

function sweepDetails(ctx: PageContext, s: SweepView): Html {
  const { t } = ctx;
  const r = s.recordings;
  const lines: Html[] = [];
  if (r.deletedIds?.length) lines.push(html`<li>${t('retention.deletedIds', { dry: s.dryRun ? t('retention.wouldBe') : '', ids: ids(r.deletedIds) })}</li>`);
  for (const k of keptReasons(s)) lines.push(html`<li>${t(k.key, { n: k.n })}</li>`);
  if (r.heldItems?.length) lines.push(html`<li>${t('retention.heldItems', { ids: ids(r.heldItems.map((h) => h.recordingId ?? h.callId)) })}</li>`);
  for (const l of r.lockedItems ?? []) lines.push(html`<li>${t('retention.lockedItem', { id: l.recordingId, detail: l.detail })}</li>`);
  for (const f of r.failedItems ?? []) lines.push(html`<li>${t('retention.failedItem', { id: f.recordingId, detail: f.detail })}</li>`);
  if (s.evidence.heldCallIds.length) lines.push(html`<li>${t('retention.evHeldIds', { ids: ids(s.evidence.heldCallIds) })}</li>`);
  if (s.evidence.consentKeptCallIds.length) lines.push(html`<li>${t('retention.consentIds', { ids: ids(s.evidence.consentKeptCallIds) })}</li>`);
  return html`<details><summary>${t('retention.details', { id: s.runId.slice(0, 8) })}</summary>${lines.length ? html`<ul>${lines}</ul>` : html`<p>${t('retention.nothing')}</p>`}</details>`;
}

export function sweepsTable(ctx: PageContext, sweeps: readonly SweepView[]): Html {
  const { t, lang } = ctx;
  const body =
    sweeps.length === 0
      ? html`<p role="status">${t('retention.sweeps.none')}</p>`
      : html`<table class="sweeps"><thead><tr><th scope="col">${t('retention.col.started')}</th><th scope="col">${t('retention.col.kind')}</th><th scope="col">${t('retention.col.recDeleted')}</th><th scope="col">${t('retention.col.recKept')}</th><th scope="col">${t('retention.col.evErased')}</th><th scope="col">${t('retention.col.evKept')}</th></tr></thead>
<tbody>${sweeps.map((s) => {
          const kind = s.dryRun ? 'retention.kind.dry' : s.status === 'lease_lost' ? 'retention.kind.leaseLost' : 'retention.kind.real';
          const r = s.recordings;
          return html`<tr data-run-id="${s.runId}"><td>${formatTime(s.startedAt, lang)}</td><td>${t(kind)}</td><td>${r.deleted}</td><td>${r.held + r.locked + r.failed + r.busy}</td><td>${s.evidence.erased}</td><td>${s.evidence.held + s.evidence.consentKept}</td></tr>
<tr><td colspan="6">${sweepDetails(ctx, s)}</td></tr>`;
        })}</tbody></table>`;
  return html`<section class="panel" aria-labelledby="sweeps-h"><h2 id="sweeps-h">${t('retention.sweeps')}</h2>${body}</section>`;
}

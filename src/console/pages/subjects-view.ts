import type { PageContext } from '../context.js';
import { html, type Html } from '../html.js';
import { formatTime } from '../i18n.js';
import { csrfField } from '../layout.js';
import type { ErasureDetailView, ErasureSummaryView } from '../views-dpo.js';

const numberField = (ctx: PageContext, id: string) =>
  html`<label for="${id}">${ctx.t('subjects.number')}</label><input id="${id}" name="callerNumber" type="tel" inputmode="tel" autocomplete="off" required maxlength="64">`;
const reasonField = (ctx: PageContext, id: string, required: boolean) =>
  html`<label for="${id}">${ctx.t('subjects.reason')}</label><input id="${id}" name="reason" maxlength="500" autocomplete="off"${required ? html` required` : ''}>`;
const select = (id: string, name: string, label: string, options: ReadonlyArray<[string, string]>, selected?: string) =>
  html`<label for="${id}">${label}</label><select id="${id}" name="${name}">${options.map(([v, l]) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${l}</option>`)}</select>`;

export function erasureTable(ctx: PageContext, erasures: readonly ErasureSummaryView[]): Html {
  const { t, lang } = ctx;
  if (erasures.length === 0) return html`<p role="status">${t('erasures.none')}</p>`;
  return html`<table class="erasures"><caption class="sr-only">${t('erasures.title')}</caption>
<thead><tr><th scope="col">${t('erasures.col.at')}</th><th scope="col">${t('erasures.col.status')}</th><th scope="col">${t('erasures.col.subject')}</th><th scope="col">${t('erasures.col.erased')}</th><th scope="col">${t('erasures.col.held')}</th></tr></thead>
<tbody>${erasures.map(
    (e) => html`<tr><td><a href="/console/subjects/erasures/${encodeURIComponent(e.requestId)}">${formatTime(e.requestedAt, lang)}</a></td><td>${t(`erasures.status.${e.status}`)}</td><td>${e.subjectMasked ?? '—'}</td>
<td>${e.erased ? t('erasures.erased', { calls: e.erased.calls, recordings: e.erased.recordings }) : '—'}</td><td>${e.notErased && e.notErased.heldCallIds.length ? html`<strong>${t('erasures.heldCount', { n: e.notErased.heldCallIds.length })}</strong>` : '—'}</td></tr>`,
  )}</tbody></table>`;
}

export function erasureForm(ctx: PageContext): Html {
  const { t } = ctx;
  return html`<section class="panel" id="erasure-form" aria-labelledby="erase-h"><h2 id="erase-h">${t('erasures.new')}</h2><p class="hint">${t('erasures.new.hint')}</p>
<form method="post" action="/console/subjects/erasures" class="stack" autocomplete="off">${csrfField(ctx)}
${numberField(ctx, 'erase-number')}${reasonField(ctx, 'erase-reason', true)}
<div><input type="checkbox" id="erase-confirm" name="confirm" value="yes" required> <label for="erase-confirm">${t('erasures.confirm')}</label></div>
<button type="submit">${t('erasures.submit')}</button></form></section>`;
}

export function accessForm(ctx: PageContext): Html {
  const { t } = ctx;
  return html`<section class="panel" id="access-form" aria-labelledby="access-h"><h2 id="access-h">${t('access.title')}</h2><p class="hint">${t('access.hint')}</p>
<form method="post" action="/console/subjects/access" class="stack" autocomplete="off">${csrfField(ctx)}
${numberField(ctx, 'access-number')}
${select('access-lang', 'lang', t('access.lang'), [['pl', t('language.pl')], ['en', t('language.en')]], ctx.lang)}
${select('access-format', 'format', t('access.format'), [['json', t('access.format.json')], ['markdown', t('access.format.markdown')]])}
${reasonField(ctx, 'access-reason', true)}
<button type="submit">${t('access.submit')}</button></form></section>`;
}

export function withdrawalForm(ctx: PageContext): Html {
  const { t } = ctx;
  return html`<section class="panel" id="withdrawal-form" aria-labelledby="withdraw-h"><h2 id="withdraw-h">${t('withdrawals.title')}</h2><p class="hint">${t('withdrawals.hint')}</p>
<form method="post" action="/console/subjects/withdrawals" class="stack" autocomplete="off">${csrfField(ctx)}
${numberField(ctx, 'withdraw-number')}
${select('withdraw-consent', 'consent', t('withdrawals.consent'), [['marketing', t('withdrawals.consent.marketing')], ['recording', t('withdrawals.consent.recording')]])}
${select('withdraw-channel', 'channel', t('withdrawals.channel'), [['letter', t('withdrawals.channel.letter')], ['email', t('withdrawals.channel.email')]])}
<label for="withdraw-reference">${t('withdrawals.reference')}</label><input id="withdraw-reference" name="reference" required maxlength="200" autocomplete="off">
<button type="submit">${t('withdrawals.submit')}</button></form></section>`;
}

/** One erasure request: what was erased, what was kept and why (holds now covering the kept calls), the certificate. */
export function erasureDetail(ctx: PageContext, d: ErasureDetailView): Html {
  const { t, lang } = ctx;
  const e = d.erasure;
  const c = d.certificate;
  const row = (label: string, value: Html | string) => html`<dt>${label}</dt><dd>${value}</dd>`;
  const base = `/console/subjects/erasures/${encodeURIComponent(e.requestId)}`;
  const held = d.heldCalls.length
    ? html`<ul>${d.heldCalls.map(
        (h) => html`<li><a href="/console/calls/${encodeURIComponent(h.callId)}">${t('erasure.held.call', { id: h.callId })}</a>: ${h.holdIds.length
          ? html`${t('erasure.held.holds')} ${h.holdIds.map((id, i) => html`${i ? ', ' : ''}<a href="/console/holds?show=all#hold-${id}"><code>${id.slice(0, 8)}</code></a>`)}`
          : t('erasure.held.free')}</li>`,
      )}</ul>`
    : html`<p>${t('erasure.held.none')}</p>`;
  return html`<section class="panel" aria-labelledby="facts-h"><h2 id="facts-h">${t('erasure.status')}</h2><dl class="facts">
${row(t('erasure.status'), t(`erasures.status.${e.status}`))}${row(t('erasure.requestedAt'), formatTime(e.requestedAt, lang))}${row(t('erasure.requestedBy'), html`<code>${e.requestedBy}</code>`)}
${row(t('erasure.doneAt'), formatTime(e.doneAt, lang))}${row(t('erasure.subject'), e.subjectMasked ?? '—')}
${e.erased ? row(t('erasure.erased'), t('erasure.erasedText', { calls: e.erased.calls, recordings: e.erased.recordings, subjects: e.erased.subjectRecords })) : ''}
${c ? row(t('erasure.ledger'), html`#${c.ledger.seq} <code title="${c.ledger.hash}">${c.ledger.hash.slice(0, 12)}…</code>`) : ''}</dl>
${e.status === 'open' ? html`<p class="notice">${t('erasure.open')}</p>` : ''}</section>
${c ? html`<section class="panel" aria-labelledby="cert-h"><h2 id="cert-h">${t('erasure.certificate')}</h2><p><a href="${base}/certificate" download>${t('erasure.download')}</a></p><p class="hint">${t('erasure.verifyHint')}</p></section>` : ''}
<section class="panel" aria-labelledby="held-h"><h2 id="held-h">${t('erasure.held')}</h2>${held}</section>
${c && c.notErased.locked.length ? html`<section class="panel" aria-labelledby="locked-h"><h2 id="locked-h">${t('erasure.locked')}</h2><ul>${c.notErased.locked.map((l) => html`<li><code>${l.recordingId}</code>: ${l.detail}</li>`)}</ul></section>` : ''}
${c && c.notErased.pending.length ? html`<section class="panel" aria-labelledby="pending-h"><h2 id="pending-h">${t('erasure.pending')}</h2><ul>${c.notErased.pending.map((p) => html`<li><code>${p.recordingId}</code>: ${p.detail}</li>`)}</ul></section>` : ''}
<p><a href="/console/subjects">${t('erasures.back')}</a></p>`;
}

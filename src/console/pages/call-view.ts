import type { PageContext } from '../context.js';
import { html, type Html } from '../html.js';
import { formatTime } from '../i18n.js';
import { csrfField } from '../layout.js';
import type { CallRow, EventView, HoldView, RecordingView, TimelineView } from '../views.js';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);
const short = (h: string) => html`<code title="${h}">${h.slice(0, 12)}…</code>`;

export function factsPanel(ctx: PageContext, t: TimelineView): Html {
  const { t: tr, lang } = ctx;
  const c: CallRow | null = t.call;
  const row = (label: string, value: Html | string | null | undefined) => html`<dt>${label}</dt><dd>${value ?? '—'}</dd>`;
  return html`<section class="panel" aria-labelledby="facts-h"><h2 id="facts-h">${tr('call.facts')}</h2><dl class="facts">
${row(tr('call.id'), html`<code>${t.callId}</code>`)}
${row(tr('call.started'), c ? formatTime(c.startedAt, lang) : null)}${row(tr('call.ended'), c?.endedAt ? formatTime(c.endedAt, lang) : null)}
${row(tr('calls.col.flow'), c?.flowId)}${row(tr('calls.col.did'), c?.did)}${row(tr('calls.col.caller'), c?.callerMasked)}${row(tr('calls.col.language'), c?.language)}
${row(tr('call.legalBasis'), c?.legalBasis)}
${row(tr('calls.col.outcome'), c?.outcome ? html`<span class="badge ${c.outcome}">${tr(`outcome.${c.outcome}`)}</span>` : tr('outcome.open'))}
${row(tr('calls.col.recording'), c?.recording ? tr(`yesno.${c.recording}`) : null)}${row(tr('calls.col.marketing'), c?.marketing ? tr(`marketing.${c.marketing}`) : null)}
${row(tr('call.server'), c?.server)}
${row(tr('call.serverCheck'), t.verification.ok ? html`<span class="ok">${tr('call.serverCheck.ok')}</span>` : html`<span class="bad">${tr('call.serverCheck.broken', { seq: t.verification.firstBroken ?? '?' })}</span>`)}
</dl></section>`;
}

function eventDetails(ctx: PageContext, e: EventView): Html {
  const { t } = ctx;
  const d = e.data;
  if (e.kind === 'prompt.played') {
    return html`${t('timeline.prompt', { id: str(d.promptId) ?? '?', lang: str(d.lang) ?? '?', version: str(d.version) ?? '?' })}<br>${t('timeline.audio')}: ${str(d.audioSha256) ? short(str(d.audioSha256)!) : '—'}${str(d.playback) ? html`<br>${t('timeline.playback')}: ${str(d.playback)}` : ''}`;
  }
  const parts = Object.entries(d)
    .filter(([k]) => k !== 'digit')
    .map(([k, v]) => html`<span class="kv">${k}: ${typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? short(v) : str(v) ?? JSON.stringify(v)}</span>`);
  const digit = str(d.digit);
  return html`${digit ? html`<strong>${t('timeline.key')}: <kbd>${digit}</kbd></strong> ` : ''}${parts.map((p, i) => html`${i > 0 || digit ? '; ' : ''}${p}`)}`;
}

export function timelinePanel(ctx: PageContext, t: TimelineView): Html {
  const { t: tr, lang } = ctx;
  return html`<section class="panel" aria-labelledby="timeline-h"><h2 id="timeline-h">${tr('timeline.title')}</h2>
<table class="timeline"><thead><tr><th scope="col">${tr('timeline.seq')}</th><th scope="col">${tr('timeline.at')}</th><th scope="col">${tr('timeline.kind')}</th><th scope="col">${tr('timeline.details')}</th><th scope="col">${tr('timeline.hash')}</th></tr></thead>
<tbody>${t.events.map(
    (e) => html`<tr id="event-${e.seq}"><td>${e.seq}</td><td>${formatTime(e.at, lang)}</td><td><code>${e.kind}</code></td><td>${eventDetails(ctx, e)}</td><td class="hash">${short(e.hash)}</td></tr>`,
  )}</tbody></table></section>`;
}

export function receiptPanel(ctx: PageContext, callId: string): Html {
  const base = `/console/calls/${encodeURIComponent(callId)}/receipt`;
  return html`<section class="panel" aria-labelledby="receipt-h"><h2 id="receipt-h">${ctx.t('receipt.title')}</h2>
<ul><li><a href="${base}?format=kantara" download>${ctx.t('receipt.kantara')}</a></li><li><a href="${base}?format=iso27560" download>${ctx.t('receipt.iso')}</a></li></ul></section>`;
}

export function bundlePanel(ctx: PageContext, callId: string): Html {
  return html`<section class="panel" aria-labelledby="bundle-h"><h2 id="bundle-h">${ctx.t('bundle.title')}</h2><p>${ctx.t('bundle.intro')}</p>
<form method="post" action="/console/calls/${encodeURIComponent(callId)}/bundle">${csrfField(ctx)}<button type="submit">${ctx.t('bundle.download')}</button></form></section>`;
}

export function recordingsPanel(ctx: PageContext, recordings: readonly RecordingView[]): Html {
  const { t } = ctx;
  const item = (r: RecordingView) => {
    const id = `rec-${r.id}`;
    const size = r.bytes === null ? '—' : `${(r.bytes / 1024).toFixed(0)} KiB`;
    const player = r.playable
      ? html`<form class="play stack" method="get" action="/recordings/${encodeURIComponent(r.id)}/audio" data-player="${id}-audio">
<label for="${id}-reason">${t('recordings.reason')}</label><input id="${id}-reason" name="reason" required maxlength="500" autocomplete="off">
<button type="submit">${t('recordings.play')}</button></form>
<audio id="${id}-audio" controls preload="none" hidden aria-label="${t('recordings.player', { id: r.id })}"></audio>`
      : html`<p>${t('recordings.notPlayable', { state: r.quarantined ? `${r.state} (${r.quarantineReason ?? ''})` : r.state })}</p>`;
    return html`<li><h3 class="rec">${t('recordings.player', { id: r.id })}</h3><p>${t('recordings.state')}: ${r.state}; ${t('recordings.size')}: ${size}; SHA-256: ${r.plaintextSha256 ? short(r.plaintextSha256) : '—'}</p>${player}</li>`;
  };
  return html`<section class="panel" aria-labelledby="recordings-h"><h2 id="recordings-h">${t('recordings.title')}</h2>
${recordings.length === 0 ? html`<p>${t('recordings.none')}</p>` : html`<ul class="recordings">${recordings.map(item)}</ul>`}</section>`;
}

export function holdsPanel(ctx: PageContext, holds: readonly HoldView[]): Html {
  const { t, lang } = ctx;
  return html`<section class="panel" aria-labelledby="holds-h"><h2 id="holds-h">${t('holds.title')}</h2>
${holds.length === 0
  ? html`<p>${t('holds.none')}</p>`
  : html`<ul>${holds.map((h) => html`<li><strong>${h.active ? t('holds.active') : t('holds.released')}</strong>: ${h.reason} (${t('holds.setBy', { name: h.setBy.name, at: formatTime(h.setAt, lang) })})</li>`)}</ul>`}
</section>`;
}

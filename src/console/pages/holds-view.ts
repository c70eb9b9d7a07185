import type { TokenInfo } from '../../api/tokens.js';
import type { PageContext } from '../context.js';
import { html, type Html } from '../html.js';
import { formatTime } from '../i18n.js';
import { csrfField } from '../layout.js';
import type { HoldFullView } from '../views-dpo.js';

/** What the signed-in DPO may do next about a hold's release (four eyes: ask, then another approves). */
export type ReleaseStep = 'released' | 'request' | 'approve' | 'wait';

export function releaseStep(hold: Pick<HoldFullView, 'active' | 'releaseRequested'>, me: Pick<TokenInfo, 'id'>): ReleaseStep {
  if (!hold.active) return 'released';
  if (!hold.releaseRequested) return 'request';
  return hold.releaseRequested.tokenId === me.id ? 'wait' : 'approve';
}

export type HoldBody =
  | { readonly scope: 'call'; readonly callId: string; readonly reason: string }
  | { readonly scope: 'caller'; readonly callerNumber: string; readonly reason: string }
  | { readonly scope: 'flow'; readonly flowId: string; readonly reason: string };

/** The place-a-hold form as the API's body; null when the scope or target is missing. */
export function holdBody(form: Record<string, string | undefined>): HoldBody | null {
  const target = (form.target ?? '').trim();
  const reason = form.reason ?? '';
  if (!target) return null;
  switch (form.scope) {
    case 'call':
      return { scope: 'call', callId: target, reason };
    case 'caller':
      return { scope: 'caller', callerNumber: target, reason };
    case 'flow':
      return { scope: 'flow', flowId: target, reason };
    default:
      return null;
  }
}

function what(ctx: PageContext, h: HoldFullView): Html {
  if (h.scope === 'call' && h.callId) return html`<a href="/console/calls/${encodeURIComponent(h.callId)}">${ctx.t('holds.scope.call', { id: h.callId })}</a>`;
  if (h.scope === 'flow') return html`${ctx.t('holds.scope.flow', { id: h.flowId ?? '?' })}`;
  return html`${ctx.t('holds.scope.caller')}`;
}

function state(ctx: PageContext, h: HoldFullView): Html {
  const { t, lang } = ctx;
  if (h.released) {
    return html`<span class="ok">${t('holds.state.released', { at: formatTime(h.released.at, lang), asker: h.releaseRequested?.name ?? '?', approver: h.released.name })}</span>`;
  }
  if (h.releaseRequested) {
    const r = h.releaseRequested;
    return html`<strong>${t('holds.state.requested', { name: r.name, at: formatTime(r.at, lang) })}</strong>${r.reason ? html`<br>${t('holds.state.requestedReason', { reason: r.reason })}` : ''}`;
  }
  return html`<strong>${t('holds.state.active')}</strong>`;
}

function actions(ctx: PageContext, h: HoldFullView, me: TokenInfo): Html {
  const { t } = ctx;
  const action = `/console/holds/${encodeURIComponent(h.id)}/release`;
  switch (releaseStep(h, me)) {
    case 'released':
      return html`—`;
    case 'wait':
      return html`<p class="hint" data-four-eyes>${t('holds.wait')}</p>`;
    case 'approve':
      return html`<form method="post" action="${action}" class="stack">${csrfField(ctx)}<input type="hidden" name="step" value="approve">
<p class="hint">${t('holds.approve.hint')}</p><button type="submit">${t('holds.approve.submit')}</button></form>`;
    case 'request':
      return html`<form method="post" action="${action}" class="stack">${csrfField(ctx)}<input type="hidden" name="step" value="request">
<label for="release-${h.id}">${t('holds.request.reason')}</label><input id="release-${h.id}" name="reason" required maxlength="500" autocomplete="off">
<button type="submit" class="secondary">${t('holds.request.submit')}</button></form>`;
  }
}

export function holdsTable(ctx: PageContext, holds: readonly HoldFullView[], me: TokenInfo): Html {
  const { t, lang } = ctx;
  if (holds.length === 0) return html`<p role="status">${t('holds.none.active')}</p>`;
  return html`<table class="holds"><caption class="sr-only">${t('holds.page')}</caption>
<thead><tr><th scope="col">${t('holds.col.what')}</th><th scope="col">${t('holds.col.reason')}</th><th scope="col">${t('holds.col.set')}</th><th scope="col">${t('holds.col.state')}</th><th scope="col">${t('holds.col.actions')}</th></tr></thead>
<tbody>${holds.map(
    (h) => html`<tr id="hold-${h.id}" data-hold-id="${h.id}"><td>${what(ctx, h)}</td><td>${h.reason}</td><td>${t('holds.by', { name: h.setBy.name, at: formatTime(h.setAt, lang) })}</td><td>${state(ctx, h)}</td><td>${actions(ctx, h, me)}</td></tr>`,
  )}</tbody></table>`;
}

export function placeHoldForm(ctx: PageContext): Html {
  const { t } = ctx;
  const scopes = ['call', 'caller', 'flow'] as const;
  return html`<section class="panel" aria-labelledby="place-h"><h2 id="place-h">${t('holds.place')}</h2>
<form method="post" action="/console/holds" class="stack" autocomplete="off">${csrfField(ctx)}
<fieldset><legend>${t('holds.place.scope')}</legend>${scopes.map(
    (s, i) => html`<div><input type="radio" id="scope-${s}" name="scope" value="${s}"${i === 0 ? html` checked` : ''}> <label for="scope-${s}">${t(`holds.place.scope.${s}`)}</label></div>`,
  )}</fieldset>
<label for="hold-target">${t('holds.place.target')}</label><input id="hold-target" name="target" required maxlength="128" autocomplete="off" spellcheck="false">
<label for="hold-reason">${t('holds.place.reason')}</label><input id="hold-reason" name="reason" required maxlength="500" autocomplete="off">
<button type="submit">${t('holds.place.submit')}</button></form></section>`;
}

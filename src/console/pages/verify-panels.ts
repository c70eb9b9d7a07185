import type { PageContext } from '../context.js';
import { html, raw, type Html } from '../html.js';
import { textsFor } from '../i18n.js';

/** The script texts and the key panel both verification panels share. */
export function verifyTexts(ctx: PageContext): Html {
  return html`<script type="application/json" id="console-texts">${raw(textsFor(ctx.lang, 'vjs.'))}</script>`;
}

function keyPanel(ctx: PageContext, idPrefix: string): Html {
  const { t } = ctx;
  return html`<h3>${t('verify.key')}</h3><dl class="facts">
<dt>${t('verify.keyServer')}</dt><dd><code data-served-key>…</code></dd>
<dt>${t('verify.fingerprint')}</dt><dd><code data-fingerprint>…</code></dd>
<dt>${t('verify.pinned')}</dt><dd><code data-pinned>…</code></dd></dl>
<p>${t('verify.compare')}</p>
<div class="field"><label for="${idPrefix}-pin">${t('verify.pinInput')}</label><input id="${idPrefix}-pin" data-pin-input class="mono" autocomplete="off" spellcheck="false"></div>
<p><button type="button" data-pin class="secondary">${t('verify.pin')}</button> <button type="button" data-unpin class="secondary">${t('verify.unpin')}</button></p>`;
}

const results = (ctx: PageContext) => html`<div class="results"><p data-summary tabindex="-1"></p><ol class="checks" aria-label="${ctx.t('verify.checks')}"></ol></div>`;

export function callVerifyPanel(ctx: PageContext, callId: string): Html {
  const { t } = ctx;
  return html`<section class="panel" id="verify" data-verify-call data-call-id="${callId}" aria-labelledby="verify-h"><h2 id="verify-h">${t('verify.title')}</h2>
<p>${t('verify.intro')}</p>${keyPanel(ctx, 'call')}
<p><button type="button" data-verify>${t('verify.button')}</button></p>${results(ctx)}</section>`;
}

export function consistencyPanel(ctx: PageContext, sizes: { from: number | null; to: number | null }): Html {
  const { t } = ctx;
  return html`<section class="panel" data-verify-consistency aria-labelledby="consistency-h"><h2 id="consistency-h">${t('verify.consistency')}</h2>
<p>${t('verify.consistency.intro')}</p>${keyPanel(ctx, 'ledger')}
<form class="filters"><div class="field"><label for="from-size">${t('verify.fromSize')}</label><input id="from-size" name="fromTreeSize" type="number" min="1" required value="${sizes.from ?? ''}"></div>
<div class="field"><label for="to-size">${t('verify.toSize')}</label><input id="to-size" name="toTreeSize" type="number" min="1" required value="${sizes.to ?? ''}"></div>
<div class="actions"><button type="submit">${t('verify.consistency.button')}</button></div></form>${results(ctx)}</section>`;
}

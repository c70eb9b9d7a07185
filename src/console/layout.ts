import { roleName, type PageContext } from './context.js';
import { html, type Html, type Interpolated } from './html.js';

/** Navigation entries: the least role that sees each. */
const NAV: ReadonlyArray<{ href: string; key: string }> = [
  { href: '/console/overview', key: 'nav.overview' },
  { href: '/console/calls', key: 'nav.calls' },
  { href: '/console/verify', key: 'nav.verify' },
];

/** The extra navigation entries other pages add (DPO and admin pages), with the roles that see them. */
const extraNav: Array<{ href: string; key: string; show: (ctx: PageContext) => boolean }> = [];
export function addNavEntry(entry: { href: string; key: string; show: (ctx: PageContext) => boolean }): void {
  // Once per href: every app built in a process registers its pages again.
  if (!extraNav.some((e) => e.href === entry.href)) extraNav.push(entry);
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/** The language switch: a tiny form (a preference, but every state change is a POST with a token). */
function langSwitch(ctx: PageContext): Html {
  const other = ctx.lang === 'pl' ? 'en' : 'pl';
  return html`<form method="post" action="/console/lang" class="inline">${csrfField(ctx)}<input type="hidden" name="lang" value="${other}"><input type="hidden" name="next" value="${ctx.here}"><button type="submit" class="link">${ctx.t('lang.switch')}</button></form>`;
}

export function layout(ctx: PageContext, opts: { title: string; current?: string; scripts?: readonly string[] }, main: Interpolated): Html {
  const { t, principal } = ctx;
  const nav = principal
    ? html`<nav aria-label="${t('nav.label')}"><ul>${[...NAV.map((n) => ({ ...n, show: () => true })), ...extraNav]
        .filter((n) => n.show(ctx))
        .map((n) => html`<li><a href="${n.href}"${opts.current === n.href ? html` aria-current="page"` : ''}>${t(n.key)}</a></li>`)}</ul></nav>`
    : '';
  const who = principal
    ? html`<span class="who">${t('signedInAs', { name: principal.name, role: roleName(t, principal.role) })}</span>
<form method="post" action="/console/sign-out" class="inline">${csrfField(ctx)}<button type="submit">${t('signOut')}</button></form>`
    : '';
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · ${t('app.name')}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml">
${(opts.scripts ?? []).map((s) => html`<script type="module" src="/console/assets/${s}"></script>`)}
</head>
<body>
<a class="skip" href="#main">${t('skip')}</a>
<header class="top">
<a class="brand" href="/console/calls">${t('app.name')}</a>
${nav}
<div class="session">${langSwitch(ctx)}${who}</div>
</header>
<main id="main" tabindex="-1">
<h1>${opts.title}</h1>
${main}
</main>
</body>
</html>`;
}

import type { FastifyRequest } from 'fastify';
import { roleAllows, ROLES, type Role, type TokenInfo, type TokenStore } from '../../api/tokens.js';
import type { ApiInstance } from '../../api/types.js';
import { apiOk, callApi } from '../api-client.js';
import { pageContext, roleName, sendPage, type PageContext } from '../context.js';
import { html, type Html } from '../html.js';
import { formatTime } from '../i18n.js';
import { addNavEntry, csrfField, layout } from '../layout.js';

const PAGES = [
  { href: '/console/admin/tokens', key: 'admin.tokens' },
  { href: '/console/admin/config', key: 'admin.config' },
  { href: '/console/admin/health', key: 'admin.health' },
] as const;
const COMPONENTS = ['ari', 'routes', 'ami', 'storage', 'database'];
const TOKEN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Printable text only, as `consentline token create` takes it.
const TEXT = /^[^\p{Cc}\p{Cs}]{1,100}$/u;

/** The admin pages' frame: the layout with a sub-navigation of the three pages. */
function adminLayout(ctx: PageContext, here: string, main: Html | string): Html {
  const title = ctx.t(PAGES.find((p) => p.href === here)!.key);
  const sub = html`<nav class="subnav" aria-label="${ctx.t('admin.nav')}"><ul class="legend">${PAGES.map(
    (p) => html`<li><a href="${p.href}"${p.href === here ? html` aria-current="page"` : ''}>${ctx.t(p.key)}</a></li>`,
  )}</ul></nav>`;
  return layout(ctx, { title, current: '/console/admin/tokens' }, html`${sub}${main}`);
}

function tokenTable(ctx: PageContext, tokens: readonly TokenInfo[], self: string | undefined): Html {
  const { t, lang } = ctx;
  return html`<table class="tokens"><caption class="sr-only">${t('admin.tokens.list')}</caption>
<thead><tr><th scope="col">${t('admin.tokens.col.name')}</th><th scope="col">${t('admin.tokens.col.subject')}</th><th scope="col">${t('admin.tokens.col.role')}</th><th scope="col">${t('admin.tokens.col.created')}</th><th scope="col">${t('admin.tokens.col.state')}</th></tr></thead>
<tbody>${tokens.map(
    (k) => html`<tr data-token-id="${k.id}"><td>${k.name}</td><td>${k.subject}</td><td>${roleName(t, k.role)}</td><td>${formatTime(k.createdAt, lang)}</td><td>${
      k.revokedAt
        ? t('admin.tokens.revokedAt', { at: formatTime(k.revokedAt, lang) })
        : html`${t('admin.tokens.active')} <form method="post" action="/console/admin/tokens/${k.id}/revoke" class="inline">${csrfField(ctx)}<button type="submit" class="secondary">${t('admin.tokens.revoke', { name: k.name })}</button></form>${k.id === self ? html` <span class="hint">${t('admin.tokens.yours')}</span>` : ''}`
    }</td></tr>`,
  )}</tbody></table>`;
}

function createForm(ctx: PageContext): Html {
  const { t } = ctx;
  return html`<h2>${t('admin.tokens.create')}</h2><form method="post" action="/console/admin/tokens" class="filters" autocomplete="off">${csrfField(ctx)}
<div class="field"><label for="t-name">${t('admin.tokens.name')}</label><input id="t-name" name="name" required maxlength="100"></div>
<div class="field"><label for="t-subject">${t('admin.tokens.subject')}</label><input id="t-subject" name="subject" maxlength="100"></div>
<div class="field"><label for="t-role">${t('admin.tokens.role')}</label><select id="t-role" name="role">${ROLES.map((r) => html`<option value="${r}">${roleName(t, r)}</option>`)}</select></div>
<div class="actions"><button type="submit">${t('admin.tokens.submit')}</button></div></form>`;
}

async function tokensPage(request: FastifyRequest, tokens: TokenStore, top: Html | string = '', status = 200) {
  const ctx = pageContext(request);
  const list = await tokens.list();
  return { status, body: adminLayout(ctx, '/console/admin/tokens', html`${top}${createForm(ctx)}<h2>${ctx.t('admin.tokens.list')}</h2>${tokenTable(ctx, list, request.principal?.id)}`) };
}

/** Admin only: API tokens (list, create with the secret shown once, revoke), the redacted configuration, health. */
export function adminPages(app: ApiInstance, deps: { tokens: TokenStore }): void {
  addNavEntry({ href: '/console/admin/tokens', key: 'nav.admin', show: (ctx) => ctx.principal !== null && roleAllows(ctx.principal.role, 'admin') });
  const admin = { config: { role: 'admin' as const }, schema: { hide: true } };

  app.get('/admin', admin, async (_request, reply) => reply.redirect('/console/admin/tokens', 303));

  app.get('/admin/tokens', admin, async (request, reply) => {
    const m = (request.query as { m?: string }).m;
    const ctx = pageContext(request);
    const note = m === 'revoked' ? html`<p class="notice" role="status">${ctx.t('admin.tokens.revoked')}</p>` : m === 'none' ? html`<p class="error" role="alert">${ctx.t('admin.tokens.notRevoked')}</p>` : '';
    const page = await tokensPage(request, deps.tokens, note);
    return sendPage(reply, page.body, page.status);
  });

  app.post('/admin/tokens', admin, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    const given = typeof body.subject === 'string' ? body.subject.trim() : '';
    const role = body.role as Role;
    const ctx = pageContext(request);
    // As the CLI: four eyes compare persons, so every token but an auditor's names its person.
    const subject = given || (role === 'auditor' ? name : '');
    if (!TEXT.test(name) || !TEXT.test(subject) || !(ROLES as readonly string[]).includes(role)) {
      const page = await tokensPage(request, deps.tokens, html`<p class="error" role="alert">${ctx.t('admin.tokens.bad')}</p>`, 400);
      return sendPage(reply, page.body, page.status);
    }
    const created = await deps.tokens.create(name, role, subject);
    request.log.info({ event: 'console_token_created', tokenId: created.info.id, role, by: request.principal?.id }, 'API token created in the console');
    const shown = html`<div class="secret" role="status"><p>${ctx.t('admin.tokens.created', { name, role: roleName(ctx.t, role) })}</p>
<p><label for="new-token">${ctx.t('admin.tokens.secret')}</label><br><input id="new-token" class="mono" readonly size="56" value="${created.token}" data-new-token></p></div>`;
    const page = await tokensPage(request, deps.tokens, shown, 201);
    return sendPage(reply, page.body, page.status);
  });

  app.post('/admin/tokens/:tokenId/revoke', admin, async (request, reply) => {
    const id = (request.params as { tokenId: string }).tokenId;
    const done = TOKEN_ID.test(id) && (await deps.tokens.revoke(id));
    if (done) request.log.info({ event: 'console_token_revoked', tokenId: id, by: request.principal?.id }, 'API token revoked in the console');
    return reply.redirect(`/console/admin/tokens?m=${done ? 'revoked' : 'none'}`, 303);
  });

  app.get('/admin/config', admin, async (request, reply) => {
    const config = await apiOk<Record<string, unknown>>(request, 'GET', '/config');
    const ctx = pageContext(request);
    return sendPage(reply, adminLayout(ctx, '/console/admin/config', html`<p>${ctx.t('admin.config.intro')}</p><pre class="config" tabindex="0">${JSON.stringify(config, null, 2)}</pre>`));
  });

  app.get('/admin/health', admin, async (request, reply) => {
    // 200 when ready, 503 when not: both carry the components.
    const ready = await callApi<{ ready: boolean; components: Record<string, { status: string; detail?: string }> }>(request, 'GET', '/ready');
    const latest = await callApi<{ treeSize: number; createdAt: string }>(request, 'GET', '/checkpoints/latest');
    const ctx = pageContext(request);
    const { t } = ctx;
    const names = [...COMPONENTS.filter((c) => c in ready.body.components), ...Object.keys(ready.body.components).filter((c) => !COMPONENTS.includes(c))];
    const rows = names.map((name) => {
      const c = ready.body.components[name]!;
      return html`<tr data-component="${name}"><th scope="row">${t(`admin.health.component.${name}`)}</th><td><span class="badge ${c.status}">${t(`admin.health.status.${c.status}`)}</span></td><td>${c.detail ?? ''}</td></tr>`;
    });
    const checkpoint = latest.status === 200 ? t('admin.health.checkpointAt', { size: latest.body.treeSize, at: formatTime(latest.body.createdAt, ctx.lang) }) : t('admin.health.noCheckpoint');
    return sendPage(
      reply,
      adminLayout(
        ctx,
        '/console/admin/health',
        html`<p>${t('admin.health.intro')}</p><p class="${ready.body.ready ? 'notice' : 'error'}" role="status">${t(ready.body.ready ? 'admin.health.ready' : 'admin.health.notReady')}</p>
<table class="health"><thead><tr><th scope="col">${t('admin.health.col.component')}</th><th scope="col">${t('admin.health.col.status')}</th><th scope="col">${t('admin.health.col.detail')}</th></tr></thead><tbody>${rows}</tbody></table>
<dl class="facts"><dt>${t('admin.health.checkpoint')}</dt><dd data-checkpoint>${checkpoint}</dd></dl>`,
      ),
    );
  });
}

import type { Config } from './schema.js';

export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * HTTP sessions of Asterisk left for everything but the REST pool: the probe on each
 * (re)connect, the events WebSocket's upgrade, the recordings' ARI fetch,
 * the CLI, other ARI users, and connections Asterisk still counts after the client gave up on them.
 */
export const ARI_SESSION_HEADROOM = 16;

/**
 * A config of which only the valid parts are known: the cross-checks also run on what is right in
 * an invalid file (see salvage), so every problem is reported in one round. An unknown (undefined)
 * field skips the checks that need it rather than inventing a problem.
 */
export type Loose<T> = T extends readonly (infer E)[]
  ? readonly (Loose<E> | undefined)[]
  : T extends object
    ? { readonly [K in keyof T]?: Loose<T[K]> | undefined }
    : T;

/** Checks that span several fields: references, uniqueness, digit clashes. Pure. */
export function crossCheck(config: Loose<Config>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });
  const routes = config.routes;
  /** Unknown only when the routes themselves are known: no invented "unknown route" problems. */
  const unknownRoute = (route: string | undefined) => routes !== undefined && route !== undefined && !Object.hasOwn(routes, route);

  const serverNames = new Set<string>();
  const serverUrls = new Set<string>();
  config.ari?.servers?.forEach((server, i) => {
    if (server?.name !== undefined && serverNames.has(server.name)) add(['ari', 'servers', i, 'name'], `duplicate server name "${server.name}"`);
    if (server?.url !== undefined && serverUrls.has(server.url)) add(['ari', 'servers', i, 'url'], `server URL ${server.url} is listed twice`);
    if (server?.name !== undefined) serverNames.add(server.name);
    if (server?.url !== undefined) serverUrls.add(server.url);
  });
  const { maxSockets, httpSessionLimit } = config.ari ?? {};
  if (maxSockets !== undefined && httpSessionLimit !== undefined && maxSockets + ARI_SESSION_HEADROOM > httpSessionLimit) {
    add(['ari', 'maxSockets'], `ari.maxSockets (${maxSockets}) must stay ${ARI_SESSION_HEADROOM} below ari.httpSessionLimit (${httpSessionLimit}, Asterisk's http.conf sessionlimit): Asterisk drops connections past its limit and those calls go to the fallback route`);
  }
  if (config.ari?.listen && config.ari.servers) add(['ari', 'listen'], 'ari.listen (Asterisk connects to ConsentLine) serves one Asterisk: remove ari.servers, or run one instance per server');
  if (config.ari?.listen && config.recordings?.enabled && config.recordings.source === 'ari') {
    // Asterisk answers a file download over the WebSocket with 406 "Use HTTP GET".
    add(['recordings', 'source'], 'recordings.source "ari" downloads over Asterisk\'s HTTP, which ari.listen mode does not reach: use source "spool"');
  }
  if ((config.ari?.servers?.length ?? 1) > 1 && config.recordings?.enabled) {
    // The recordings side follows one Asterisk: its AMI events and its spool (or stored recordings).
    add(['recordings', 'enabled'], 'recordings follow one Asterisk server (its AMI and spool): with several servers in ari.servers, run one ConsentLine instance per server with recordings on, all on one PostgreSQL database');
  }

  const flows = config.flows ?? [];
  if (flows.length > 0 && flows.every((f) => f?.default !== undefined)) {
    const defaults = flows.filter((f) => f?.default);
    if (defaults.length !== 1) add(['flows'], `exactly one flow must have "default: true" (found ${defaults.length})`);
  }

  const didOwner = new Map<string, number>();
  const flowIds = new Set<string>();
  flows.forEach((flow, i) => {
    if (!flow) return;
    const at = (...rest: (string | number)[]) => ['flows', i, ...rest];
    if (flow.id !== undefined && flowIds.has(flow.id)) add(at('id'), `duplicate flow id "${flow.id}"`);
    if (flow.id !== undefined) flowIds.add(flow.id);

    flow.dids?.forEach((did, j) => {
      if (did === undefined) return;
      const owner = didOwner.get(did);
      if (owner !== undefined) add(at('dids', j), `DID "${did}" is already used by flows[${owner}]`);
      else didOwner.set(did, i);
    });

    for (const key of ['defaultRoute', 'fallbackRoute'] as const) {
      if (unknownRoute(flow[key])) add(at(key), `unknown route "${flow[key]}"`);
    }
    const dedicated = flow.withdrawal?.dedicated === true;
    if (flow.menu && !dedicated) checkMenu(flow.menu, at, add, unknownRoute);
    const w = flow.withdrawal;
    if (w?.confirmDigit !== undefined && w.confirmDigit === w.keepDigit) add(at('withdrawal', 'keepDigit'), 'must differ from confirmDigit');
    if (dedicated && flow.marketing?.enabled) add(at('marketing', 'enabled'), 'a dedicated withdrawal line never asks for marketing consent: set marketing.enabled to false or remove marketing');
    if (dedicated && Object.values(flow.menu ?? {}).some((e) => e?.action !== undefined)) add(at('menu'), 'a dedicated withdrawal line has no menu: remove it');

    const { languages } = flow;
    if (languages?.offered && languages.default !== undefined && !languages.offered.includes(languages.default)) {
      add(at('languages', 'default'), `default language "${languages.default}" is not in languages.offered`);
    }
    for (const [digit, lang] of Object.entries(languages?.offered ? (languages.choice ?? {}) : {})) {
      if (lang !== undefined && !languages?.offered?.includes(lang)) {
        add(at('languages', 'choice', digit), `language "${lang}" is not in languages.offered`);
      }
    }

    const rc = flow.recordingConsent;
    if (flow.legalBasis === 'explicit_consent' && rc?.agreeDigit !== undefined && rc.agreeDigit === rc.refuseDigit) {
      add(at('recordingConsent', 'refuseDigit'), 'must differ from agreeDigit');
    }
    if (flow.marketing?.yesDigit !== undefined && flow.marketing.yesDigit === flow.marketing.noDigit) {
      add(at('marketing', 'noDigit'), 'must differ from yesDigit');
    }
  });
  checkOutbound(config, add, unknownRoute);
  return problems;
}

/**
 * Outbound campaigns: known routes and flows, unique ids, and no marketing campaign whose flow
 * asks for marketing consent (PKE art. 398: asking for consent by a marketing call is itself
 * marketing, which needs the consent first).
 */
function checkOutbound(config: Loose<Config>, add: (path: (string | number)[], message: string) => void, unknownRoute: (route: string | undefined) => boolean): void {
  const o = config.outbound;
  if (!o) return;
  for (const key of ['dialRoute', 'refusedRoute'] as const) if (unknownRoute(o[key])) add(['outbound', key], `unknown route "${o[key]}"`);
  const flows = config.flows ?? [];
  const ids = new Set<string>();
  o.campaigns?.forEach((c, i) => {
    if (!c) return;
    if (c.id !== undefined && ids.has(c.id)) add(['outbound', 'campaigns', i, 'id'], `duplicate campaign id "${c.id}"`);
    if (c.id !== undefined) ids.add(c.id);
    if (c.flow === undefined || flows.some((f) => f?.id === undefined)) return;
    const flow = flows.find((f) => f?.id === c.flow);
    if (!flow) add(['outbound', 'campaigns', i, 'flow'], `unknown flow "${c.flow}"`);
    else if (c.purpose === 'marketing' && flow.marketing?.enabled) {
      add(['outbound', 'campaigns', i, 'flow'], `flow "${c.flow}" asks for marketing consent: a marketing call must not ask for it, since asking is itself marketing (PKE art. 398); set marketing.enabled to false in that flow or use another`);
    }
  });
}

function checkMenu(
  menu: NonNullable<Loose<Config['flows'][number]['menu']>>,
  at: (...rest: (string | number)[]) => (string | number)[],
  add: (path: (string | number)[], message: string) => void,
  unknownRoute: (route: string | undefined) => boolean,
): void {
  const entries = Object.entries(menu);
  if (entries.length === 0) add(at('menu'), 'the menu needs at least one key');
  for (const [digit, entry] of entries) {
    if ((entry?.action === 'route' || entry?.action === 'objection') && entry.route && unknownRoute(entry.route)) {
      add(at('menu', digit, 'route'), `unknown route "${entry.route}"`);
    }
  }
  // An entry the schema refused may be the missing key: say nothing until the menu is readable.
  if (entries.some(([, entry]) => entry?.action === undefined)) return;
  const actions = entries.map(([, entry]) => entry?.action);
  if (!actions.includes('objection')) {
    add(at('menu'), 'the menu must offer an "objection" key: every legal basis lets the caller refuse recording');
  }
  if (!actions.includes('clause')) {
    add(at('menu'), 'the menu must offer a "clause" key: the caller must be able to hear the information clause');
  }
}

/** Renders a path the way an administrator reads it: flows[2].menu["9"].route */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(root)';
}

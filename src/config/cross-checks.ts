import type { Config } from './schema.js';

export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * HTTP sessions of Asterisk left for everything but the REST pool: ari-client loading the API
 * documents on each (re)connect, the events WebSocket's upgrade, the recordings' ARI fetch,
 * the CLI, other ARI users, and connections Asterisk still counts after the client gave up on them.
 */
export const ARI_SESSION_HEADROOM = 16;

/** Checks that span several fields: references, uniqueness, digit clashes. Pure. */
export function crossCheck(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });
  const knownRoute = (route: string) => Object.hasOwn(config.routes, route);

  const serverNames = new Set<string>();
  const serverUrls = new Set<string>();
  config.ari.servers?.forEach((server, i) => {
    if (serverNames.has(server.name)) add(['ari', 'servers', i, 'name'], `duplicate server name "${server.name}"`);
    if (serverUrls.has(server.url)) add(['ari', 'servers', i, 'url'], `server URL ${server.url} is listed twice`);
    serverNames.add(server.name);
    serverUrls.add(server.url);
  });
  const { maxSockets, httpSessionLimit } = config.ari;
  if (maxSockets + ARI_SESSION_HEADROOM > httpSessionLimit) {
    add(['ari', 'maxSockets'], `ari.maxSockets (${maxSockets}) must stay ${ARI_SESSION_HEADROOM} below ari.httpSessionLimit (${httpSessionLimit}, Asterisk's http.conf sessionlimit): Asterisk drops connections past its limit and those calls go to the fallback route`);
  }
  if ((config.ari.servers?.length ?? 1) > 1 && config.recordings.enabled) {
    // The recordings side follows one Asterisk: its AMI events and its spool (or stored recordings).
    add(['recordings', 'enabled'], 'recordings follow one Asterisk server (its AMI and spool): with several servers in ari.servers, run one ConsentLine instance per server with recordings on, all on one PostgreSQL database');
  }

  const defaults = config.flows.filter((f) => f.default);
  if (defaults.length !== 1) {
    add(['flows'], `exactly one flow must have "default: true" (found ${defaults.length})`);
  }

  const didOwner = new Map<string, number>();
  const flowIds = new Set<string>();
  config.flows.forEach((flow, i) => {
    const at = (...rest: (string | number)[]) => ['flows', i, ...rest];
    if (flowIds.has(flow.id)) add(at('id'), `duplicate flow id "${flow.id}"`);
    flowIds.add(flow.id);

    flow.dids.forEach((did, j) => {
      const owner = didOwner.get(did);
      if (owner !== undefined) add(at('dids', j), `DID "${did}" is already used by flows[${owner}]`);
      else didOwner.set(did, i);
    });

    for (const key of ['defaultRoute', 'fallbackRoute'] as const) {
      if (!knownRoute(flow[key])) add(at(key), `unknown route "${flow[key]}"`);
    }

    const menuDigits = Object.keys(flow.menu);
    if (menuDigits.length === 0) add(at('menu'), 'the menu needs at least one key');
    for (const [digit, entry] of Object.entries(flow.menu)) {
      if ((entry.action === 'route' || entry.action === 'objection') && entry.route && !knownRoute(entry.route)) {
        add(at('menu', digit, 'route'), `unknown route "${entry.route}"`);
      }
    }
    const actions = Object.values(flow.menu).map((e) => e.action);
    if (!actions.includes('objection')) {
      add(at('menu'), 'the menu must offer an "objection" key: every legal basis lets the caller refuse recording');
    }
    if (!actions.includes('clause')) {
      add(at('menu'), 'the menu must offer a "clause" key: the caller must be able to hear the information clause');
    }

    const { languages } = flow;
    if (!languages.offered.includes(languages.default)) {
      add(at('languages', 'default'), `default language "${languages.default}" is not in languages.offered`);
    }
    for (const [digit, lang] of Object.entries(languages.choice ?? {})) {
      if (!languages.offered.includes(lang)) {
        add(at('languages', 'choice', digit), `language "${lang}" is not in languages.offered`);
      }
    }

    const rc = flow.recordingConsent;
    if (flow.legalBasis === 'explicit_consent' && rc.agreeDigit === rc.refuseDigit) {
      add(at('recordingConsent', 'refuseDigit'), 'must differ from agreeDigit');
    }
    if (flow.marketing && flow.marketing.yesDigit === flow.marketing.noDigit) {
      add(at('marketing', 'noDigit'), 'must differ from yesDigit');
    }
  });
  return problems;
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

import type { Config } from './schema.js';

/** One Asterisk server as the service connects to it: the ARI link and its name in the evidence. */
export interface AsteriskServer {
  readonly name: string;
  readonly url: string;
  readonly username: string;
  readonly password: string | undefined;
  readonly app: string;
  readonly requestTimeoutMs: number;
  readonly maxSockets: number;
}

/** The servers to connect to: `ari.servers` when listed, else the single server `ari` describes. */
export function asteriskServers(config: Pick<Config, 'ari'>): AsteriskServer[] {
  const { ari } = config;
  const listed = ari.servers ?? [{ name: ari.server, url: ari.url }];
  return listed.map((s) => ({
    name: s.name,
    url: s.url,
    username: ('username' in s && s.username) || ari.username,
    password: ('password' in s && s.password) || ari.password,
    app: ari.app,
    requestTimeoutMs: ari.requestTimeoutMs,
    maxSockets: ari.maxSockets,
  }));
}

/** The config as one server's ARI link sees it: `ari` narrowed to that server. */
export function configForServer<C extends Pick<Config, 'ari'>>(config: C, server: AsteriskServer): C {
  const { servers: _all, ...ari } = config.ari;
  return {
    ...config,
    ari: { ...ari, server: server.name, url: server.url, username: server.username, password: server.password, app: server.app },
  };
}

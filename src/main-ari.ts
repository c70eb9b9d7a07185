import type { Config } from './config/schema.js';
import type { Logger } from './shared/log.js';
import { loadTlsClientOptions } from './config/tls.js';
import { AriAdapter } from './telephony/ari/adapter.js';

/** The production ARI link, from the config. */
export function realAri(config: Readonly<Config>, log: Logger): AriAdapter {
  return new AriAdapter({
    url: config.ari.url,
    username: config.ari.username,
    password: config.ari.password ?? '',
    app: config.ari.app,
    requestTimeoutMs: config.ari.requestTimeoutMs,
    maxSockets: config.ari.maxSockets,
    tls: loadTlsClientOptions(config.ari.tls),
    listen: config.ari.listen,
    logger: log,
  });
}

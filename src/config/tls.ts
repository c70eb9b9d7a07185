import { readFileSync } from 'node:fs';
import type { TlsClientConfig } from './tls-schema.js';

/** What node's tls/https/ws take to check a server's certificate. */
export interface TlsClientOptions {
  /** PEM text of the CA(s) to trust instead of Node's public CAs. */
  readonly ca?: string;
  readonly rejectUnauthorized?: boolean;
  readonly servername?: string;
}

/** Reads the CA file a `tls:` block names; undefined when there is no block. Throws (with `code`) when the file cannot be read. */
export function loadTlsClientOptions(config: TlsClientConfig | undefined): TlsClientOptions | undefined {
  if (!config) return undefined;
  let ca: string | undefined;
  if (config.ca) {
    try {
      ca = readFileSync(config.ca, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw Object.assign(new Error(`tls.ca ${config.ca}: ${e.code ?? e.message}`), { code: e.code ?? 'ETLSCA' });
    }
  }
  return { ca, rejectUnauthorized: config.rejectUnauthorized, servername: config.servername };
}

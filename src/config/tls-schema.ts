import { z } from 'zod';

/**
 * How ConsentLine checks the certificate of an Asterisk it connects to over TLS (ARI `https://`,
 * AMI with `tls`). Paths are absolute or relative to the working directory.
 */
export const TlsClientSchema = z.strictObject({
  /** PEM file of the CA that signed Asterisk's certificate (a self-signed certificate is its own CA). Default: Node's public CAs. */
  ca: z.string().min(1).optional(),
  /** `false` accepts any certificate: the link is then encrypted but not authenticated. For a first test only. */
  rejectUnauthorized: z.boolean().default(true),
  /** Name to check the certificate against when it differs from the host ConsentLine connects to. */
  servername: z.string().min(1).optional(),
});
export type TlsClientConfig = z.infer<typeof TlsClientSchema>;

/**
 * Outbound ARI WebSocket (Asterisk 22's `websocket_client.conf` + an ari.conf `outbound_websocket`):
 * Asterisk connects to ConsentLine instead of the reverse. When set, `ari.url` is not used; Asterisk
 * must send `ari.username`/`ari.password` (websocket_client.conf `username`/`password`), and the REST
 * requests go back over the same WebSocket, so ConsentLine never reaches Asterisk's HTTP server.
 */
export const AriListenSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(1).max(65535).default(8765),
  /** The path of websocket_client.conf's `uri`. */
  path: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'must be a URL path like /ari/consentline').default('/ari/consentline'),
  /** Serve `wss://` with this certificate and key (PEM files); websocket_client.conf then needs `tls_enabled = yes`. */
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
});
export type AriListenConfig = z.infer<typeof AriListenSchema>;

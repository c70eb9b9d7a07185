/**
 * The narrow surface of AMI the recordings watcher needs. Nothing outside src/recordings/ami
 * sees asterisk-manager's types: manager-connector.ts translates them into these.
 */

/**
 * One AMI message with lower-cased keys (`event`, `uniqueid`, `linkedid`, `variable`, `value`…)
 * and string values, as asterisk-manager delivers them after normalisation.
 */
import type { TlsClientOptions } from '../../config/tls.js';

export type AmiFields = Readonly<Record<string, string>>;

export interface AmiTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  /** Time allowed for TCP connect plus login. */
  readonly timeoutMs: number;
  /** AMI over TLS (manager.conf `tlsenable`): how Asterisk's certificate is checked. */
  readonly tls?: TlsClientOptions;
}

export type ActionOutcome =
  | { readonly status: 'success'; readonly fields: AmiFields }
  | { readonly status: 'error'; readonly message: string; readonly fields: AmiFields }
  | { readonly status: 'not-connected' }
  | { readonly status: 'timeout' };

/** A logged-in AMI session. */
export interface AmiSession {
  /** Sends an action (keys as AMI spells them, e.g. `Action`, `Channel`) and waits for its response. */
  action(fields: Readonly<Record<string, string>>, timeoutMs: number): Promise<ActionOutcome>;
  /** Logs off and closes; pending actions settle as `not-connected`. `onClose` is not called. */
  close(): void;
}

export interface AmiSessionHandlers {
  onEvent(event: AmiFields): void;
  /** The connection ended after a successful login (not after {@link AmiSession.close}). */
  onClose(reason: string): void;
}

export type ConnectOutcome =
  | { readonly status: 'ok'; readonly session: AmiSession }
  | { readonly status: 'auth-failed'; readonly message: string }
  | { readonly status: 'unreachable'; readonly message: string };

/** Opens AMI sessions. Never throws or rejects for network or login faults: they are outcomes. */
export interface AmiConnector {
  connect(target: AmiTarget, handlers: AmiSessionHandlers): Promise<ConnectOutcome>;
}

/**
 * The part of asterisk-manager 0.2.0 (CommonJS, untyped) that manager-connector.ts uses.
 * Only that adapter imports it; everything else sees the port in ./port.ts.
 * The library lower-cases every key; `variable` becomes an object `{ NAME: "" }`, repeated keys arrays.
 */
declare module 'asterisk-manager' {
  namespace Manager {
    type RawValue = string | string[] | Record<string, string>;
    type RawAmiMessage = Record<string, RawValue | undefined>;

    interface AsteriskManager {
      on(event: 'error', listener: (err: Error) => void): AsteriskManager;
      on(event: 'close' | 'end' | 'connect', listener: () => void): AsteriskManager;
      on(event: 'managerevent' | 'response', listener: (msg: RawAmiMessage) => void): AsteriskManager;
      removeAllListeners(event?: string): AsteriskManager;
      connect(port: number, host: string, callback?: () => void): void;
      /** Sends Login with the username and secret given to the constructor. */
      login(callback?: (err?: RawAmiMessage) => void): void;
      /** Keys are lower-cased by the library; `actionid` is taken from the object when present. */
      action(
        action: Record<string, string>,
        callback?: (err: RawAmiMessage | undefined, res: RawAmiMessage | undefined) => void,
      ): string;
      disconnect(callback?: () => void): void;
      isConnected(): boolean;
    }
  }

  /** With a port, connects and logs in at once (and drops the login result); without one, does nothing yet. */
  function Manager(
    port?: number,
    host?: string,
    username?: string,
    password?: string,
    events?: boolean,
  ): Manager.AsteriskManager;

  export = Manager;
}

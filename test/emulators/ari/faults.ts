/** Fault injection for the emulator's REST side. */

export type FaultAction =
  | { readonly status: number; readonly body?: unknown }
  /** Never answer; the socket stays open until the client gives up or the emulator closes. */
  | { readonly hang: true }
  /** Destroy the connection without answering (the client sees ECONNRESET). */
  | { readonly reset: true }
  /** Carry the request out now but answer only after `delayMs` (an overloaded Asterisk): a client that gave up never learns it went through. */
  | { readonly delayMs: number };

export interface FaultRule {
  /** Matched case-insensitively; any method when omitted. */
  readonly method?: string;
  /**
   * Path below `/ari` (`/channels/abc/play`). A string may use `*` for one path segment
   * (`/channels/*\/play`); a RegExp is tested against the path as is.
   */
  readonly path: string | RegExp;
  /** How many requests the rule catches; 1 by default. */
  readonly times?: number;
}

export interface RequestLogEntry {
  /** Epoch ms the request arrived. */
  readonly at: number;
  readonly method: string;
  /** Path below `/ari`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The status answered, or how the emulator misbehaved. */
  status: number | 'hang' | 'reset';
}

interface ArmedFault {
  readonly method: string | undefined;
  readonly test: (path: string) => boolean;
  remaining: number;
  readonly action: FaultAction;
}

function pathTester(pattern: string | RegExp): (path: string) => boolean {
  if (pattern instanceof RegExp) return (p) => pattern.test(p);
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+');
  const re = new RegExp(`^${escaped}$`);
  return (p) => re.test(p);
}

/** Faults armed by a test, consumed by the requests they match. */
export class FaultBook {
  #armed: ArmedFault[] = [];

  arm(rule: FaultRule, action: FaultAction): void {
    this.#armed.push({
      method: rule.method?.toUpperCase(),
      test: pathTester(rule.path),
      remaining: rule.times ?? 1,
      action,
    });
  }

  take(method: string, path: string): FaultAction | undefined {
    const f = this.#armed.find((a) => (!a.method || a.method === method) && a.test(path));
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.#armed.splice(this.#armed.indexOf(f), 1);
    return f.action;
  }

  clear(): void {
    this.#armed = [];
  }
}

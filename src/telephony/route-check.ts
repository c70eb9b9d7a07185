import type { Route } from '../config/schema.js';

/** A route the configuration names, as the dialplan must have it. */
export interface NamedRoute {
  readonly name: string;
  readonly context: string;
  readonly extension: string;
}

export type RouteCheck =
  | { readonly status: 'checked'; readonly missing: readonly NamedRoute[]; readonly checked: number }
  | { readonly status: 'unchecked'; readonly reason: string };

/** Every route the configuration names (flows' default, fallback and menu routes all point into this map). */
export function namedRoutes(routes: Readonly<Record<string, Route>>): NamedRoute[] {
  return Object.entries(routes)
    .map(([name, r]) => ({ name, context: r.context, extension: r.extension }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export type DialplanLookup = (context: string, extension: string) => Promise<{ status: 'present' } | { status: 'missing' } | { status: 'unknown'; reason: string }>;

/**
 * Looks every named route up in the running dialplan. One answer the PBX could not give makes
 * the whole check `unchecked` (with why): a route is reported missing only when Asterisk said so.
 */
export async function checkRoutes(routes: readonly NamedRoute[], lookup: DialplanLookup | null): Promise<RouteCheck> {
  if (lookup === null) return { status: 'unchecked', reason: 'no AMI connection configured: routes could not be checked against the dialplan' };
  const missing: NamedRoute[] = [];
  for (const r of routes) {
    const a = await lookup(r.context, r.extension);
    if (a.status === 'unknown') return { status: 'unchecked', reason: a.reason };
    if (a.status === 'missing') missing.push(r);
  }
  return { status: 'checked', missing, checked: routes.length };
}

/** One line for logs and `check-config --live`. */
export function describeRouteCheck(c: RouteCheck): string {
  if (c.status === 'unchecked') return `routes NOT checked against the dialplan: ${c.reason}`;
  if (!c.missing.length) return `all ${c.checked} route(s) found in the running dialplan`;
  return `route(s) missing from the running dialplan: ${c.missing.map((r) => `${r.name} (${r.extension}@${r.context})`).join(', ')}`;
}

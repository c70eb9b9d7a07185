import type { RouteOptions } from 'fastify';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { API_ERRORS, type ApiErrorCode } from './errors.js';
import { ROLES, roleAllows, type Role } from './tokens.js';

/**
 * What the API description says about every route, derived from what the route really does:
 * the role (from `config.role`, the table `registerAuth` enforces), the errors of the catalogue
 * (`errors.ts`) and an operationId. Routes add their own success and specific error responses.
 */

/** Every error body: the catalogue's code and message; validation issues or details when there are any. */
export const errorBody = z.looseObject({
  error: z.string().describe('a stable code: one of the error catalogue, or a route-specific conflict code'),
  message: z.string(),
  details: z.unknown().optional(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
}).meta({ id: 'Error' });

type ErrorResponse = { description: string; content: { 'application/json': { schema: typeof errorBody } } };

type ErrorSpec = ApiErrorCode | readonly [status: number, code: string, message: string];

/** Error responses for `schema.response`, grouped by status, from catalogue codes or route-specific `[status, code, message]`. */
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 416 | 429 | 500 | 503;

export function errorResponses(...specs: readonly ErrorSpec[]): Partial<Record<ErrorStatus, ErrorResponse>> {
  const byStatus = new Map<number, string[]>();
  for (const spec of specs) {
    const [status, code, message] = typeof spec === 'string' ? [API_ERRORS[spec].status, spec, API_ERRORS[spec].message] : spec;
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\`: ${message}`]);
  }
  const response = (lines: string[]): ErrorResponse => ({ description: lines.join('; '), content: { 'application/json': { schema: errorBody } } });
  return Object.fromEntries([...byStatus].map(([status, lines]) => [status, response(lines)]));
}

/** The conflict every proof-serving route can answer when the ledger cannot be checkpointed. */
export const CHECKPOINT_CONFLICT = [409, 'ledger_broken | inconsistent_with_previous', 'no checkpoint can be signed over this ledger'] as const;

/** `GET /calls/:callId/timeline` → `getCallsByCallIdTimeline`. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

/** The roles whose tokens may call a route needing `needed`, from the table auth enforces. */
export const rolesAllowed = (needed: Role): Role[] => ROLES.filter((held) => roleAllows(held, needed));

type DocumentedSchema = {
  operationId?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  response?: Record<string | number, unknown>;
  querystring?: unknown;
  body?: unknown;
  params?: unknown;
  hide?: boolean;
};

/** An `onRoute` hook: fills in operationId, security, the role note and the errors every route can give. */
export function documentRoute(route: RouteOptions): void {
  // A GET's automatic HEAD route shares its schema object: document it once.
  if (route.url.startsWith('/docs') || route.method === 'HEAD') return;
  const schema = (route.schema ??= {}) as DocumentedSchema;
  if (schema.hide) return;
  const method = [route.method].flat()[0] ?? 'GET';
  schema.operationId ??= operationIdOf(method, route.url);
  const isPublic = route.config?.public === true;
  const needed: Role = route.config?.role ?? 'admin';
  const note = isPublic ? 'Public: no token needed.' : `Role: ${needed} (tokens of ${rolesAllowed(needed).join(', ')}).`;
  schema.description = schema.description ? `${note}\n\n${schema.description}` : note;
  schema.security = isPublic ? [] : [{ bearer: [] }];
  const common: ErrorSpec[] = [
    ...(schema.querystring || schema.body || schema.params ? (['bad_request'] as const) : []),
    ...(isPublic ? [] : (['unauthorized'] as const)),
    // Every role the route does not allow gets 403 (a `dialer` token on an auditor route too).
    ...(isPublic || ROLES.every((r) => roleAllows(r, needed)) ? [] : (['forbidden'] as const)),
    'rate_limited',
    'internal',
  ];
  // A route's own description of a status wins over the common one.
  schema.response = { ...errorResponses(...common), ...(schema.response ?? {}) };
}

/**
 * The document's components, less the schemas nothing refers to: the zod transform writes an
 * input and an output variant of each named schema, and only the output one is used.
 */
export const transformDocument: typeof jsonSchemaTransformObject = (input) => {
  const doc = jsonSchemaTransformObject(input) as { components?: { schemas?: Record<string, unknown> } };
  const schemas = doc.components?.schemas ?? {};
  for (const name of Object.keys(schemas)) {
    const { [name]: _self, ...others } = schemas;
    if (!JSON.stringify({ ...doc, components: { ...doc.components, schemas: others } }).includes(`"#/components/schemas/${name}"`)) delete schemas[name];
  }
  return doc as ReturnType<typeof jsonSchemaTransformObject>;
};

import type { z } from 'zod';

/**
 * Walking the zod schema by hand: to find the schema behind an issue's path (for its bounds and
 * keys) and to keep the valid parts of an invalid config (for the cross-checks). Reads zod 4's
 * `_zod.def`, the structure every schema carries.
 */
type Schema = z.ZodType;
interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly shape?: Record<string, Schema>;
  readonly element?: Schema;
  readonly keyType?: Schema;
  readonly valueType?: Schema;
  readonly options?: readonly Schema[];
  readonly discriminator?: string;
}

function defOf(schema: Schema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch']);

function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let def = defOf(current); WRAPPERS.has(def.type) && def.innerType; def = defOf(current)) current = def.innerType;
  return current;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The option of a discriminated union that `value` names, if it names one. */
function chosenOption(def: Def, value: unknown): Schema | undefined {
  if (!def.discriminator || !isPlainObject(value)) return undefined;
  const tag = value[def.discriminator];
  return def.options?.find((option) => defOf(unwrap(option)).shape?.[def.discriminator!]?.safeParse(tag).success);
}

/** The schema that validates the value at `path` of `value`, unwrapped from defaults and optionals. */
export function schemaAt(root: Schema, path: readonly PropertyKey[], value: unknown): Schema | undefined {
  let schema: Schema | undefined = unwrap(root);
  let current = value;
  for (const key of path) {
    if (!schema) return undefined;
    let def = defOf(schema);
    if (def.type === 'union') {
      schema = chosenOption(def, current);
      if (!schema) return undefined;
      def = defOf(unwrap(schema));
    }
    if (def.type === 'object') schema = def.shape?.[String(key)];
    else if (def.type === 'array') schema = def.element;
    else if (def.type === 'record') schema = def.valueType;
    else return undefined;
    current = isPlainObject(current) || Array.isArray(current) ? (current as Record<PropertyKey, unknown>)[key] : undefined;
    schema = schema && unwrap(schema);
  }
  if (schema && defOf(schema).type === 'union') return chosenOption(defOf(schema), current) ?? schema;
  return schema;
}

/** What a number field takes, from its checks: "an integer 1-65535", "a number ≥ 0". */
export function numberExpectation(schema: Schema | undefined): string | undefined {
  if (!schema || defOf(schema).type !== 'number') return undefined;
  // zod's own getters over the number's checks (null when unbounded).
  const checks = schema as unknown as { minValue: number | null; maxValue: number | null; format: string | null };
  const bounded = (n: number | null) => (n !== null && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined);
  const kind = checks.format?.includes('int') ? 'an integer' : 'a number';
  const min = bounded(checks.minValue);
  const max = bounded(checks.maxValue);
  if (min !== undefined && max !== undefined) return `${kind} ${min}-${max}`;
  if (min !== undefined) return `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

/** The keys an object schema takes (for "unknown key" problems). */
export function knownKeys(schema: Schema | undefined): string[] | undefined {
  if (!schema) return undefined;
  const shape = defOf(schema).shape;
  return shape ? Object.keys(shape) : undefined;
}

/**
 * The valid parts of `value`, with defaults filled in: a field that fails its schema is left out
 * (undefined), while its valid siblings are kept, so the checks across fields can still run on
 * everything that is right. Entries of lists and maps keep their place (undefined when invalid).
 */
export function salvage(schema: Schema, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  if (value === undefined) return undefined;
  const inner = unwrap(schema);
  const def = defOf(inner);
  if (def.type === 'union') {
    const option = chosenOption(def, value);
    return option ? salvage(option, value) : undefined;
  }
  if (def.type === 'object' && def.shape && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(def.shape)) {
      const kept = salvage(field, value[key]);
      if (kept !== undefined) out[key] = kept;
    }
    return out;
  }
  if (def.type === 'array' && def.element && Array.isArray(value)) return value.map((item) => salvage(def.element!, item));
  if (def.type === 'record' && def.valueType && isPlainObject(value)) {
    // Every key stays (an invalid key is reported by the schema; references to it are not "unknown").
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, salvage(def.valueType!, item)]));
  }
  return undefined;
}

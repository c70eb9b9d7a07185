/**
 * RFC 8785 (JCS) encoding, the ledger's hash input: keys sorted by UTF-16 code units, numbers
 * as ECMAScript prints them (which `JSON.stringify` does), strings as `JSON.stringify` escapes
 * them. The same output and the same refusals as the `canonicalize` package (test/evidence/jcs
 * compares them on arbitrary JSON), at the speed of its 5.x line: 4.0.0, which Node 20 needs,
 * checks every string for lone surrogates in a JavaScript loop and re-enters itself for every
 * key, which cost about 1 µs per appended event (docs/benchmarks.md).
 *
 * Returns undefined where JSON has no text (undefined, a function, a symbol at the top).
 */
export function jcs(value: unknown): string | undefined {
  return encode(value, []);
}

/** A string as JCS text; throws on a lone surrogate, which UTF-8 cannot carry. */
export function jcsString(s: string): string {
  if (!(s as unknown as WellFormed).isWellFormed()) throw new Error('Lone surrogate is not allowed');
  return JSON.stringify(s);
}

interface WellFormed {
  isWellFormed(): boolean;
}

function encode(value: unknown, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
      return jcsString(value);
    case 'number':
      if (Number.isNaN(value)) throw new Error('NaN is not allowed');
      if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return JSON.stringify(value); // undefined, function, symbol, bigint (throws)
  }
  if (value === null) return 'null';
  if (ancestors.includes(value)) throw new Error('Circular reference detected');
  const withJson = value as { toJSON?: unknown };
  if (typeof withJson.toJSON === 'function') {
    ancestors.push(value);
    const out = encode((withJson.toJSON as () => unknown).call(value), ancestors);
    ancestors.pop();
    return out;
  }
  ancestors.push(value);
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const text = item === undefined || typeof item === 'symbol' ? 'null' : encode(item, ancestors);
      out += (i === 0 ? '' : ',') + (text ?? 'null');
    }
    out += ']';
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out = '{';
    let first = true;
    for (const key of keys) {
      const item = record[key];
      if (item === undefined || typeof item === 'symbol' || typeof item === 'function') continue;
      out += `${first ? '' : ','}${jcsString(key)}:${encode(item, ancestors)}`;
      first = false;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

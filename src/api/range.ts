/**
 * HTTP `Range: bytes=…` (RFC 9110 §14) for one representation of a known length.
 *
 * What is served:
 *  - no Range, or one this parser cannot read (another unit, bad syntax, `a-b` with b < a):
 *    the whole representation (200): RFC 9110 lets a server ignore a Range it does not
 *    understand;
 *  - one range, `a-b`, `a-` or `-n`: that range (206), `b` clamped to the last byte, a suffix
 *    longer than the representation meaning all of it;
 *  - one range that starts past the end, `-0`, or any range of an empty representation: 416;
 *  - several ranges (`bytes=0-9,20-29`): the whole representation (200). Ignoring the header
 *    is what RFC 9110 allows; `multipart/byteranges` is not implemented (no player needs it,
 *    and each part would cost a decryption from the start).
 */
export type RangeDecision =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/** Longest Range header looked at; longer ones are ignored (whole representation). */
const MAX_HEADER = 200;
const SPEC = /^\s*(\d{0,16})\s*-\s*(\d{0,16})\s*$/;

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined || header.length > MAX_HEADER) return { kind: 'whole' };
  const m = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!m) return { kind: 'whole' };
  const specs = m[1]!.split(',').filter((s) => s.trim() !== '');
  if (specs.length !== 1) return { kind: 'whole' };
  const parts = SPEC.exec(specs[0]!);
  if (!parts) return { kind: 'whole' };
  const [, a, b] = parts as unknown as [string, string, string];
  if (a === '' && b === '') return { kind: 'whole' };
  if (a === '') {
    // Suffix: the last n bytes.
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (b !== '' && Number(b) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return { kind: 'partial', start, end };
}

/**
 * A fast, one-sided test for RFC 8785 (JCS) text: `isCanonicalJson(t)` is true only when
 * `canonicalJson(JSON.parse(t)) === t`, without parsing or re-encoding. False means "not
 * sure", never "not canonical": the caller then takes the exact path. It accepts the subset
 * the ledger's writer produces (objects with keys in UTF-16 order and no escapes in keys,
 * arrays, strings with the short escapes only, integers of up to 15 digits, literals), which
 * is what lets a verifier hash the stored text as it is instead of rebuilding it.
 */
export function isCanonicalJson(text: string): boolean {
  return isCanonicalJsonAt(text, 0, text.length);
}

/**
 * {@link isCanonicalJson} of `text.slice(start, end)` without slicing it: what follows `end`
 * never changes the answer, since a value that ends exactly there was decided on the
 * characters before it (an integer also looks one past it, where only a digit, `.`, `e` or
 * `E` would matter).
 */
export function isCanonicalJsonAt(text: string, start: number, end: number): boolean {
  return start < end && scanValue(text, start, 0) === end;
}

const MAX_DEPTH = 64;
/** U+FFFD: what invalid UTF-8 in a stored text reads as; left to the exact path. */
const REPLACEMENT = 0xfffd;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The index after the value at `i`, or -1 when it is not certainly canonical. */
function scanValue(t: string, i: number, depth: number): number {
  const c = t.charCodeAt(i);
  if (c === QUOTE) return scanString(t, i, true);
  if (c === 0x7b) return depth < MAX_DEPTH ? scanObject(t, i, depth + 1) : -1; // {
  if (c === 0x5b) return depth < MAX_DEPTH ? scanArray(t, i, depth + 1) : -1; // [
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanInteger(t, i);
  if (t.startsWith('true', i)) return i + 4;
  if (t.startsWith('false', i)) return i + 5;
  if (t.startsWith('null', i)) return i + 4;
  return -1;
}

function scanObject(t: string, i: number, depth: number): number {
  i += 1;
  if (t.charCodeAt(i) === 0x7d) return i + 1; // }
  let prevKey: string | null = null;
  for (;;) {
    if (t.charCodeAt(i) !== QUOTE) return -1;
    const keyEnd = scanString(t, i, false);
    if (keyEnd < 0) return -1;
    // No escapes in keys, so the raw text between the quotes is the key itself.
    const key = t.slice(i + 1, keyEnd - 1);
    // JCS orders keys by UTF-16 code units, which is how JavaScript compares strings;
    // strictly increasing also rules out duplicates.
    if (prevKey !== null && !(prevKey < key)) return -1;
    prevKey = key;
    if (t.charCodeAt(keyEnd) !== 0x3a) return -1; // :
    i = scanValue(t, keyEnd + 1, depth);
    if (i < 0) return -1;
    const c = t.charCodeAt(i);
    if (c === 0x7d) return i + 1;
    if (c !== 0x2c) return -1; // ,
    i += 1;
  }
}

function scanArray(t: string, i: number, depth: number): number {
  i += 1;
  if (t.charCodeAt(i) === 0x5d) return i + 1; // ]
  for (;;) {
    i = scanValue(t, i, depth);
    if (i < 0) return -1;
    const c = t.charCodeAt(i);
    if (c === 0x5d) return i + 1;
    if (c !== 0x2c) return -1;
    i += 1;
  }
}

// The escapes JSON.stringify writes in their short form: \" \\ \b \f \n \r \t.
const SHORT_ESCAPES = new Set([QUOTE, BACKSLASH, 0x62, 0x66, 0x6e, 0x72, 0x74]);

/** A string as JSON.stringify writes it; `escapes` false allows none (keys). */
function scanString(t: string, i: number, escapes: boolean): number {
  for (i += 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < 0x20 || c === REPLACEMENT) return -1;
    if (c === BACKSLASH) {
      // \u escapes (control characters without a short form, lone surrogates) and \/ are
      // left to the exact path.
      if (!escapes || !SHORT_ESCAPES.has(t.charCodeAt(i + 1))) return -1;
      i += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // Only a high surrogate followed by a low one: lone surrogates have no JCS form.
      const next = t.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      i += 1;
    }
  }
  return -1;
}

/** -?(0|[1-9][0-9]*) of at most 15 digits, not -0: exactly the integers Number#toString writes so. */
function scanInteger(t: string, i: number): number {
  const negative = t.charCodeAt(i) === 0x2d;
  let j = negative ? i + 1 : i;
  const first = j;
  while (j < t.length && t.charCodeAt(j) >= 0x30 && t.charCodeAt(j) <= 0x39) j++;
  const digits = j - first;
  if (digits === 0 || digits > 15) return -1;
  if (t.charCodeAt(first) === 0x30 && (digits > 1 || negative)) return -1;
  const next = t.charCodeAt(j);
  // Fractions and exponents are left to the exact path.
  if (next === 0x2e || next === 0x65 || next === 0x45) return -1;
  return j;
}

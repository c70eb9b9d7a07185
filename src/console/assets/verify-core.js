// In-browser verification of ConsentLine evidence, with WebCrypto only. The formats are those of
// docs/evidence-bundle-format.md: JCS (RFC 8785) event bodies chained by SHA-256, an RFC 9162
// Merkle tree over the chain hashes, C2SP signed-note checkpoints signed with Ed25519.
const te = new TextEncoder();

/** RFC 8785: JSON.stringify writes strings and numbers exactly as JCS does; members sorted by UTF-16 code units. */
export function jcs(v) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('a number JCS cannot encode');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
}

export const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
};
export const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
export const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export function fromHex(s) {
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new Error('not lowercase hex');
  return new Uint8Array(s.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
}
export function fromBase64(s) {
  if (!/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) throw new Error('not standard base64');
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const node = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

/** An event's chain hash: SHA-256(ASCII(prevHash) ‖ UTF-8(JCS({at, callId, data, kind, seq}))), hex. */
export async function eventHash(e) {
  const body = jcs({ at: e.at, callId: e.callId, data: e.data, kind: e.kind, seq: e.seq });
  return hex(await sha256(concat(te.encode(e.prevHash), te.encode(body))));
}

/** RFC 9162 §2.1.3.2: the root an audit path leads to, or null when the path does not fit the size. */
export async function inclusionRoot(chainHashHex, index, size, auditPath) {
  if (!(index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  let r = await sha256(concat(Uint8Array.of(0), fromHex(chainHashHex)));
  for (const b64 of auditPath) {
    const p = fromBase64(b64);
    if (p.length !== 32 || sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else r = await node(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of `first` leaves is a prefix of the one of `second`? */
export async function verifyConsistency(first, second, firstRoot, secondRoot, proofB64) {
  if (first > second || first < 1) return false;
  if (first === second) return proofB64.length === 0 && equal(firstRoot, secondRoot);
  let proof = proofB64.map(fromBase64);
  if (proof.length === 0 || proof.some((p) => p.length !== 32)) return false;
  if ((first & (first - 1)) === 0) proof = [firstRoot, ...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await node(c, fr);
      sr = await node(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else sr = await node(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

/** A C2SP verifier key `name+keyhash+base64(0x01 ‖ key)`, its key hash recomputed. */
export async function parseVerifierKey(s) {
  const m = /^(.+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(s.trim());
  if (!m) throw new Error('not a verifier key (name+hash+key)');
  const [, name, hashHex, b64] = m;
  const raw = fromBase64(b64);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error('not an Ed25519 verifier key');
  const publicKey = raw.slice(1);
  const keyHash = (await sha256(concat(te.encode(name), Uint8Array.of(0x0a, 0x01), publicKey))).slice(0, 4);
  if (hex(keyHash) !== hashHex) throw new Error('the key hash in the key does not match its name and key');
  return { name, keyHash, publicKey, fingerprint: await fingerprint(publicKey) };
}

/** SHA-256 of the raw 32-byte public key, hex in groups of four: what the DPO reads out to compare. */
export async function fingerprint(publicKey) {
  return hex(await sha256(publicKey)).match(/..../g).join(' ');
}

/** Opens a checkpoint note with the key: { origin, treeSize, root } or throws saying why. */
export async function openCheckpoint(note, key) {
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('the note has no signature block');
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new Error('the note has fewer than three lines');
  const [origin, sizeLine, rootLine] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw new Error('the tree size line is not a number');
  const sigs = note.slice(split + 2).split('\n').filter((l) => l !== '');
  const pub = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  for (const line of sigs) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m || m[1] !== key.name) continue;
    const sig = fromBase64(m[2]);
    if (sig.length !== 68 || !equal(sig.slice(0, 4), key.keyHash)) continue;
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.slice(4), te.encode(text));
    if (!ok) throw new Error('the Ed25519 signature does not verify with this key');
    return { origin, treeSize: Number(sizeLine), root: fromBase64(rootLine) };
  }
  throw new Error('no signature by this key on the note');
}

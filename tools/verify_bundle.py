#!/usr/bin/python3
"""Independent verifier of ConsentLine evidence bundles (consentline.evidence-bundle/1).

Written from docs/evidence-bundle-format.md alone, with the Python standard library and the
`cryptography` package (Debian: apt-get install python3-cryptography) for Ed25519.

usage: verify_bundle.py <bundle.json> --key <verifier key, or a file holding one>
exit:  0 the bundle is valid; 1 it is not (the first problem is printed); 2 usage error
"""

import base64
import hashlib
import json
import re
import sys
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "consentline.evidence-bundle/1"
SIGNING_PREFIX = b"consentline-bundle-v1\n"
B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
HEX64 = re.compile(r"[0-9a-f]{64}")
KEY_ARG = re.compile(r"[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*")


class Invalid(Exception):
    """The bundle is not valid; the message says why."""


# ---- JCS (RFC 8785), section 2 -----------------------------------------------------------

def _es_number(x):
    """ECMAScript Number.prototype.toString of a double."""
    if x != x or x in (float("inf"), float("-inf")):
        raise Invalid("a number JSON cannot carry")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _es_number(-x)
    _, digits, exp = Decimal(repr(x)).normalize().as_tuple()
    d = "".join(map(str, digits))
    k = len(d)
    n = exp + k
    if k <= n <= 21:
        return d + "0" * (n - k)
    if 0 < n <= 21:
        return d[:n] + "." + d[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + d
    e = n - 1
    mantissa = d if k == 1 else d[0] + "." + d[1:]
    return mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _jcs_string(s):
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " ":
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jcs(v):
    """The RFC 8785 canonical text of a parsed JSON value."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v) if abs(v) <= 2**53 else _es_number(float(v))
    if isinstance(v, float):
        return _es_number(v)
    if isinstance(v, str):
        return _jcs_string(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_jcs_string(k) + ":" + jcs(v[k]) for k in keys) + "}"
    raise Invalid("not a JSON value")


def utf8(s):
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("text that is not well-formed Unicode") from None


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def b64decode(s):
    """Standard base64, padding optional (as the producer's decoder reads it)."""
    s = s.rstrip("=")
    if len(s) % 4 == 1:
        s = s[:-1]
    return base64.b64decode(s + "=" * (-len(s) % 4))


# ---- shape, section 1 ----------------------------------------------------------------------

def _is_int(v):
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _obj(v, keys, where):
    if not isinstance(v, dict) or set(v) != set(keys):
        raise Invalid(f"not an evidence bundle: {where} must have exactly {', '.join(keys)}")
    return v


def _check(ok, where, what):
    if not ok:
        raise Invalid(f"not an evidence bundle: {where}: {what}")


def check_shape(b):
    _obj(b, ["format", "createdAt", "origin", "verifierKey", "checkpoint", "calls", "signature"], "(root)")
    _check(b["format"] == FORMAT, "format", f"must be {FORMAT}")
    for k in ("createdAt", "origin", "verifierKey"):
        _check(isinstance(b[k], str), k, "must be a string")
    _check(isinstance(b["signature"], str) and B64.fullmatch(b["signature"]), "signature", "must be base64")
    cp = _obj(b["checkpoint"], ["note", "treeSize", "rootHash"], "checkpoint")
    _check(isinstance(cp["note"], str), "checkpoint.note", "must be a string")
    _check(_is_int(cp["treeSize"]) and cp["treeSize"] >= 0, "checkpoint.treeSize", "must be an integer >= 0")
    _check(isinstance(cp["rootHash"], str) and B64.fullmatch(cp["rootHash"]), "checkpoint.rootHash", "must be base64")
    _check(isinstance(b["calls"], list), "calls", "must be an array")
    for ci, c in enumerate(b["calls"]):
        w = f"calls.{ci}"
        _obj(c, ["callId", "events", "prompts", "proofs"], w)
        _check(isinstance(c["callId"], str), w + ".callId", "must be a string")
        for k in ("events", "prompts", "proofs"):
            _check(isinstance(c[k], list), f"{w}.{k}", "must be an array")
        for i, e in enumerate(c["events"]):
            we = f"{w}.events.{i}"
            _obj(e, ["seq", "callId", "at", "kind", "data", "prevHash", "hash"], we)
            _check(_is_int(e["seq"]) and e["seq"] >= 1, we + ".seq", "must be an integer >= 1")
            _check(e["callId"] is None or isinstance(e["callId"], str), we + ".callId", "must be a string or null")
            _check(isinstance(e["at"], str) and isinstance(e["kind"], str), we, "at and kind must be strings")
            _check(isinstance(e["data"], dict), we + ".data", "must be an object")
            for k in ("prevHash", "hash"):
                _check(isinstance(e[k], str) and HEX64.fullmatch(e[k]), f"{we}.{k}", "must be 64 hex digits")
        for i, p in enumerate(c["prompts"]):
            wp = f"{w}.prompts.{i}"
            _obj(p, ["seq", "promptId", "lang", "version", "audioSha256", "playback"], wp)
            _check(_is_int(p["seq"]), wp + ".seq", "must be an integer")
            for k in ("promptId", "lang", "version", "audioSha256", "playback"):
                _check(p[k] is None or isinstance(p[k], str), f"{wp}.{k}", "must be a string or null")
        for i, p in enumerate(c["proofs"]):
            wp = f"{w}.proofs.{i}"
            _obj(p, ["seq", "leafIndex", "auditPath"], wp)
            _check(_is_int(p["seq"]) and _is_int(p["leafIndex"]), wp, "seq and leafIndex must be integers")
            _check(isinstance(p["auditPath"], list) and all(isinstance(h, str) and B64.fullmatch(h) for h in p["auditPath"]), wp + ".auditPath", "must be base64 strings")


# ---- the verifier key and the checkpoint note, section 5 -----------------------------------

def note_key_hash(name, raw_key):
    return sha256(utf8(name), b"\n\x01", raw_key)[:4]


def parse_verifier_key(text):
    """(name, key hash, Ed25519PublicKey), or None when it is not a valid verifier key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        return None
    name, hash_hex, key_b64 = parts
    if not re.fullmatch(r"[^\s+\u2014]+", name) or not re.fullmatch(r"[0-9a-f]{8}", hash_hex) or not re.fullmatch(r"[A-Za-z0-9+/]+=*", key_b64):
        return None
    key = b64decode(key_b64)
    if len(key) != 33 or key[0] != 1 or note_key_hash(name, key[1:]).hex() != hash_hex:
        return None
    return name, bytes.fromhex(hash_hex), Ed25519PublicKey.from_public_bytes(key[1:])


def ed25519_ok(public_key, message, signature):
    if len(signature) != 64:
        return False
    try:
        public_key.verify(signature, message)
        return True
    except InvalidSignature:
        return False


def open_note(note, key):
    """The signed text of the note, when a signature line of `key` verifies."""
    name, key_hash, public_key = key
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise Invalid("checkpoint is malformed")
    text = note[: split + 1]
    saw_key = False
    for line in note[split + 2 : -1].split("\n"):
        m = re.fullmatch(r"\u2014 (\S+) ([A-Za-z0-9+/]+=*)", line)
        if not m:
            raise Invalid("checkpoint is malformed")
        sig = b64decode(m.group(2))
        if m.group(1) != name or len(sig) < 4 or sig[:4] != key_hash:
            continue
        saw_key = True
        if ed25519_ok(public_key, utf8(text), sig[4:]):
            return text
    raise Invalid("checkpoint signature does not verify" if saw_key else "checkpoint has no signature by the given key")


def parse_checkpoint(text):
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise Invalid("checkpoint text is malformed")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not re.fullmatch(r"0|[1-9][0-9]{0,15}", size) or int(size) > 2**53 - 1 or not re.fullmatch(r"[A-Za-z0-9+/]{43}=", root):
        raise Invalid("checkpoint text is malformed")
    return origin, int(size), b64decode(root)


# ---- events, proofs, prompts, sections 3, 4 and 6 ------------------------------------------

def event_hash(e):
    body = {"seq": e["seq"], "callId": e["callId"], "at": e["at"], "kind": e["kind"], "data": e["data"]}
    return hashlib.sha256(utf8(e["prevHash"]) + utf8(jcs(body))).hexdigest()


def root_from_path(leaf, index, size, path):
    """RFC 9162 section 2.1.3.2."""
    if not (0 <= index < size):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01", p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(b"\x01", r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def prompts_played(events):
    s = lambda v: v if isinstance(v, str) else None
    return [
        {"seq": e["seq"], "promptId": s(e["data"].get("promptId")), "lang": s(e["data"].get("lang")), "version": s(e["data"].get("version")),
         "audioSha256": s(e["data"].get("audioSha256")), "playback": s(e["data"].get("playback"))}
        for e in events if e["kind"] == "prompt.played"
    ]


def verify_call(call, tree_size, root):
    where = f"call {call['callId']}"
    if len(call["proofs"]) != len(call["events"]):
        raise Invalid(f"{where}: {len(call['events'])} events but {len(call['proofs'])} proofs")
    prev = None
    for e, proof in zip(call["events"], call["proofs"]):
        at = f"{where}, event seq {e['seq']}"
        if e["callId"] != call["callId"]:
            raise Invalid(f"{at}: belongs to call {e['callId']}")
        if prev is not None and e["seq"] <= prev["seq"]:
            raise Invalid(f"{at}: events out of order or duplicated")
        if event_hash(e) != e["hash"]:
            raise Invalid(f"{at}: hash does not match the event's content")
        if prev is not None and prev["seq"] == e["seq"] - 1 and e["prevHash"] != prev["hash"]:
            raise Invalid(f"{at}: does not link to seq {prev['seq']}")
        if proof["seq"] != e["seq"] or proof["leafIndex"] != e["seq"] - 1:
            raise Invalid(f"{at}: proof is for another event")
        if e["seq"] > tree_size:
            raise Invalid(f"{at}: not covered by the checkpoint (tree size {tree_size})")
        path = [b64decode(h) for h in proof["auditPath"]]
        leaf = sha256(b"\x00", bytes.fromhex(e["hash"]))
        if any(len(h) != 32 for h in path) or root_from_path(leaf, int(e["seq"]) - 1, tree_size, path) != root:
            raise Invalid(f"{at}: inclusion proof does not lead to the checkpoint root")
        prev = e
    if jcs(prompts_played(call["events"])) != jcs(call["prompts"]):
        raise Invalid(f"{where}: prompt list does not match its prompt.played events")


def verify(bundle, key):
    """Raises Invalid at the first problem; returns (calls, events, tree size, origin)."""
    check_shape(bundle)
    origin, tree_size, root = parse_checkpoint(open_note(bundle["checkpoint"]["note"], key))
    if tree_size != bundle["checkpoint"]["treeSize"] or base64.b64encode(root).decode() != bundle["checkpoint"]["rootHash"]:
        raise Invalid("checkpoint tree size or root hash does not match the signed note")
    seen = set()
    for call in bundle["calls"]:
        verify_call(call, tree_size, root)
        if call["callId"] in seen:
            raise Invalid(f"call {call['callId']}: listed twice")
        seen.add(call["callId"])
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    if not ed25519_ok(key[2], SIGNING_PREFIX + utf8(jcs(unsigned)), b64decode(bundle["signature"])):
        raise Invalid("bundle signature does not verify with the given key")
    return len(bundle["calls"]), sum(len(c["events"]) for c in bundle["calls"]), tree_size, origin


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def main(argv):
    args, key_arg = [], None
    it = iter(argv)
    for a in it:
        if a == "--key":
            key_arg = next(it, None)
        elif a.startswith("--key="):
            key_arg = a[len("--key="):]
        else:
            args.append(a)
    if len(args) != 1 or not key_arg:
        print("usage: verify_bundle.py <bundle.json> --key <verifier key or file>", file=sys.stderr)
        return 2
    key_text = key_arg.strip()
    if not KEY_ARG.fullmatch(key_text):
        try:
            with open(key_arg, encoding="utf-8") as f:
                key_text = f.read().strip()
        except OSError as err:
            print(f"--key: not a verifier key and not a readable file ({err.strerror})", file=sys.stderr)
            return 2
    key = parse_verifier_key(key_text)
    if key is None:
        print("--key is not an Ed25519 verifier key (name+hash+base64key) whose hash matches", file=sys.stderr)
        return 2
    try:
        with open(args[0], "rb") as f:
            raw = f.read()
    except OSError as err:
        print(f"cannot read {args[0]}: {err.strerror}", file=sys.stderr)
        return 1
    try:
        bundle = json.loads(raw.decode("utf-8", errors="replace"), parse_constant=_reject_constant)
    except ValueError:
        print("bundle INVALID: not JSON")
        return 1
    try:
        calls, events, tree_size, origin = verify(bundle, key)
    except Invalid as err:
        print(f"bundle INVALID: {err}")
        return 1
    print(f"bundle OK: {calls} call(s), {events} event(s) proven in the checkpoint of {origin} at tree size {tree_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

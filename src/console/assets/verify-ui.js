// The verification panels: a call's evidence (call page) and a consistency check between two
// checkpoints (ledger page). Every check is done here, with verify-core.js and WebCrypto; the
// list shows each check and its result, and a failure names the event or proof that failed.
import * as v from './verify-core.js';

const TEXTS = JSON.parse(document.getElementById('console-texts')?.textContent ?? '{}');
const t = (k, vars = {}) => (TEXTS[k] ?? k).replace(/\{(\w+)\}/g, (_, n) => String(vars[n] ?? ''));
const PIN = 'consentline.pinnedVerifierKey';
const REASON = 'verification in the browser';

async function getJson(url) {
  const r = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(t('vjs.http', { url: url.split('?')[0], status: r.status, message: body?.message ?? '' }));
  return body;
}

function reporter(section) {
  const list = section.querySelector('ol.checks');
  const summary = section.querySelector('[data-summary]');
  list.replaceChildren();
  summary.textContent = t('vjs.running');
  summary.className = '';
  const failures = [];
  let passed = 0;
  return {
    check(ok, text) {
      const li = document.createElement('li');
      li.className = ok ? 'pass' : 'fail';
      li.textContent = `${ok ? t('vjs.pass') : t('vjs.fail')}: ${text}`;
      list.append(li);
      if (ok) passed += 1;
      else failures.push(text);
      return ok;
    },
    done() {
      const ok = failures.length === 0 && passed > 0;
      summary.className = ok ? 'result-pass' : 'result-fail';
      summary.textContent = ok ? t('vjs.allPassed', { n: passed }) : t('vjs.failed', { n: failures.length, first: failures[0] ?? '' });
      summary.setAttribute('role', ok ? 'status' : 'alert');
      summary.focus();
      return ok;
    },
  };
}

/** The key to verify with: the pinned one when there is one, else the one the service states. */
async function keyFor(section, r) {
  const served = await getJson('/checkpoints/public-key');
  const pinned = localStorage.getItem(PIN);
  const keyString = pinned ?? served.verifierKey;
  const key = await v.parseVerifierKey(keyString);
  r.check(true, t(pinned ? 'vjs.keyPinned' : 'vjs.keyServed', { name: key.name, fingerprint: key.fingerprint }));
  if (pinned && pinned !== served.verifierKey) r.check(false, t('vjs.keyDiffers', { served: (await v.parseVerifierKey(served.verifierKey)).fingerprint }));
  return key;
}

async function openNote(r, label, cp, key) {
  try {
    const opened = await v.openCheckpoint(cp.note, key);
    const same = opened.treeSize === cp.treeSize && btoa(String.fromCharCode(...opened.root)) === cp.rootHash;
    r.check(same, t(same ? 'vjs.noteOk' : 'vjs.noteFields', { label, size: opened.treeSize, root: cp.rootHash }));
    return same ? opened : null;
  } catch (e) {
    r.check(false, t('vjs.noteBad', { label, why: e.message }));
    return null;
  }
}

async function verifyCall(section) {
  const r = reporter(section);
  try {
    if (!globalThis.crypto?.subtle) throw new Error(t('vjs.insecure'));
    const id = encodeURIComponent(section.dataset.callId);
    const key = await keyFor(section, r);
    const timeline = await getJson(`/calls/${id}/timeline?reason=${encodeURIComponent(REASON)}`);
    const events = timeline.events;
    r.check(events.length > 0, t('vjs.fetched', { n: events.length }));
    let prev = null;
    for (const e of events) {
      const h = await v.eventHash(e);
      r.check(h === e.hash, h === e.hash ? t('vjs.eventOk', { seq: e.seq, kind: e.kind }) : t('vjs.eventBad', { seq: e.seq, kind: e.kind, stored: e.hash.slice(0, 16), computed: h.slice(0, 16) }));
      if (prev && prev.seq + 1 === e.seq) r.check(e.prevHash === prev.hash, t(e.prevHash === prev.hash ? 'vjs.linkOk' : 'vjs.linkBad', { seq: e.seq, prev: prev.seq }));
      if (prev && e.seq <= prev.seq) r.check(false, t('vjs.order', { seq: e.seq }));
      prev = e;
    }
    const proof = await getJson(`/calls/${id}/proof?reason=${encodeURIComponent(REASON)}`);
    const cp = await openNote(r, t('vjs.cpCovering'), proof.checkpoint, key);
    if (cp) {
      r.check(proof.proofs.length === events.length, t('vjs.proofCount', { n: proof.proofs.length, m: events.length }));
      for (const [i, e] of events.entries()) {
        const p = proof.proofs[i];
        if (!p || p.seq !== e.seq || p.leafIndex !== e.seq - 1) {
          r.check(false, t('vjs.proofMissing', { seq: e.seq }));
          continue;
        }
        const root = await v.inclusionRoot(e.hash, e.seq - 1, cp.treeSize, p.auditPath);
        const ok = root !== null && v.hex(root) === v.hex(cp.root);
        r.check(ok, t(ok ? 'vjs.inclusionOk' : 'vjs.inclusionBad', { seq: e.seq, kind: e.kind, size: cp.treeSize }));
      }
      const latestCp = await getJson('/checkpoints/latest');
      const latest = await openNote(r, t('vjs.cpLatest'), latestCp, key);
      if (latest && latest.treeSize > cp.treeSize) {
        const c = await getJson(`/checkpoints/consistency?fromTreeSize=${cp.treeSize}&toTreeSize=${latest.treeSize}`);
        const ok = await v.verifyConsistency(cp.treeSize, latest.treeSize, cp.root, latest.root, c.proof);
        r.check(ok, t(ok ? 'vjs.consistencyOk' : 'vjs.consistencyBad', { from: cp.treeSize, to: latest.treeSize }));
      }
    }
  } catch (e) {
    r.check(false, e.message);
  }
  return r.done();
}

async function checkpointOfSize(size) {
  const page = await getJson(`/checkpoints?afterTreeSize=${size - 1}&limit=1`);
  const cp = page.checkpoints[0];
  if (!cp || cp.treeSize !== size) throw new Error(t('vjs.noCheckpoint', { size }));
  return cp;
}

async function verifyConsistencyPanel(section) {
  const r = reporter(section);
  try {
    if (!globalThis.crypto?.subtle) throw new Error(t('vjs.insecure'));
    const from = Number(section.querySelector('[name=fromTreeSize]').value);
    const to = Number(section.querySelector('[name=toTreeSize]').value);
    if (!(from >= 1 && to >= from)) throw new Error(t('vjs.sizes'));
    const key = await keyFor(section, r);
    const a = await openNote(r, t('vjs.cpOlder', { size: from }), await checkpointOfSize(from), key);
    const b = await openNote(r, t('vjs.cpNewer', { size: to }), await checkpointOfSize(to), key);
    if (a && b) {
      const c = await getJson(`/checkpoints/consistency?fromTreeSize=${from}&toTreeSize=${to}`);
      const ok = await v.verifyConsistency(from, to, a.root, b.root, c.proof);
      r.check(ok, t(ok ? 'vjs.consistencyOk' : 'vjs.consistencyBad', { from, to }));
    }
  } catch (e) {
    r.check(false, e.message);
  }
  return r.done();
}

/** The key panel: the served key's fingerprint, the pinned key, pin and forget. */
async function keyPanel(section) {
  const served = section.querySelector('[data-served-key]');
  const fp = section.querySelector('[data-fingerprint]');
  const pinnedOut = section.querySelector('[data-pinned]');
  const input = section.querySelector('[data-pin-input]');
  const show = async () => {
    const pinned = localStorage.getItem(PIN);
    pinnedOut.textContent = pinned ? `${pinned} (${(await v.parseVerifierKey(pinned)).fingerprint})` : t('vjs.nonePinned');
  };
  try {
    const k = await getJson('/checkpoints/public-key');
    served.textContent = k.verifierKey;
    if (globalThis.crypto?.subtle) fp.textContent = (await v.parseVerifierKey(k.verifierKey)).fingerprint;
    else fp.textContent = t('vjs.insecure');
    if (!input.value) input.value = localStorage.getItem(PIN) ?? k.verifierKey;
    await show();
  } catch (e) {
    served.textContent = e.message;
  }
  section.querySelector('[data-pin]').addEventListener('click', async () => {
    try {
      await v.parseVerifierKey(input.value);
      localStorage.setItem(PIN, input.value.trim());
    } catch (e) {
      pinnedOut.textContent = t('vjs.pinBad', { why: e.message });
      return;
    }
    await show();
  });
  section.querySelector('[data-unpin]').addEventListener('click', async () => {
    localStorage.removeItem(PIN);
    await show();
  });
}

for (const section of document.querySelectorAll('[data-verify-call]')) {
  void keyPanel(section);
  section.querySelector('[data-verify]').addEventListener('click', () => void verifyCall(section));
}
for (const section of document.querySelectorAll('[data-verify-consistency]')) {
  void keyPanel(section);
  section.querySelector('form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void verifyConsistencyPanel(section);
  });
}

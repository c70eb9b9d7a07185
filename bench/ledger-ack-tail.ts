// npx tsx bench/ledger-ack-tail.ts [events=20000] [writers=200] [runs=2]
//
// Where the append-to-ack tail comes from: the slowest 1 % of acknowledgements, counted by when
// their append started (50 ms buckets from the start of the run), with the store's open time.
// All in the first bucket means the first batch waited (for the writer thread, say); spread
// out means stalls during the run (checkpoints, GC, load).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
import { promptEvent } from './ledger-measure.js';

const events = Number(process.argv[2] ?? 20000);
const writers = Number(process.argv[3] ?? 200);
for (let run = 0; run < Number(process.argv[4] ?? 2); run++) {
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const t0 = performance.now();
  const store = await openSqliteEvidenceStore({ path: join(dir, 'l.sqlite'), maxBatch: 1000 });
  const tOpen = performance.now() - t0;
  const per = Math.ceil(events / writers);
  const rec: { s: number; l: number }[] = [];
  const start = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < per; i++) {
      const t = performance.now();
      await store.append(promptEvent(w, i));
      rec.push({ s: t - start, l: performance.now() - t });
    }
  }));
  const secs = (performance.now() - start) / 1000;
  const st = store.writeStats();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const ls = rec.map((r) => r.l).sort((a, b) => a - b);
  const at = (p: number) => ls[Math.min(ls.length - 1, Math.floor(p * ls.length))]!.toFixed(2);
  const slow = [...rec].sort((a, b) => b.l - a.l).slice(0, Math.ceil(rec.length / 100));
  const buckets = new Map<number, number>();
  for (const r of slow) buckets.set(Math.floor(r.s / 50) * 50, (buckets.get(Math.floor(r.s / 50) * 50) ?? 0) + 1);
  console.log(`open ${tOpen.toFixed(1)} ms; ${Math.round(events / secs)} ev/s, batches ${st.batches} (largest ${st.largestBatch}); p50 ${at(0.5)} p90 ${at(0.9)} p99 ${at(0.99)} p999 ${at(0.999)} max ${at(1)}; load ${loadavg()[0]!.toFixed(2)}`);
  console.log('  slowest 1% by start time (50 ms buckets):', [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' '));
}

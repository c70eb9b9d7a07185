import { Piscina } from 'piscina';
import { CryptoError } from './errors.js';
import type { EncryptResult, OpenFile, RecordingEnvelope } from './envelope.js';
import type { EncryptOutcome, EncryptTask } from './encrypt-worker.js';
import type { RecordingKeyConfig } from './keyring.js';
import type { Logger } from '../../shared/log.js';

/**
 * Moves `encryptOpenFile` of an envelope onto worker threads; everything else stays on the main
 * thread. Hashing and AES-GCM are synchronous CPU work done in 1 MiB steps: on the main thread each
 * step holds up ARI call handling and uploads; on a thread it runs beside them when a core is free.
 * bench:recordings measures both (throughput and the main thread's timer delay), each in a process
 * of its own; docs/architecture.md ("Threads") has the figures and why one thread is the default.
 *
 * `keyConfig` must describe the same key as the envelope's keyring: each thread builds its own
 * keyring from it (a local key file is read again, never created: the main thread did that).
 *
 * @example
 *   const env = withEncryptionThreads(createRecordingEnvelope(keyring), keyConfig, { threads: 1 });
 *   await env.encryptOpenFile(handle, '/work/x.enc', { callId, plaintextBytes });
 *   await env.close();
 */
export function withEncryptionThreads(
  envelope: RecordingEnvelope,
  keyConfig: RecordingKeyConfig,
  opts: {
    threads: number;
    /** Longest wait for one task: `baseMs` (default 2 min) plus `msPerMB` of plaintext (default 1,000: 1 MB/s). */
    timeout?: { baseMs?: number; msPerMB?: number };
    /** The worker module (tests point it elsewhere). */
    entry?: string;
    log?: Logger;
  },
): RecordingEnvelope {
  const workerKeyConfig: RecordingKeyConfig = keyConfig.mode === 'local' ? { ...keyConfig, generateIfMissing: false } : keyConfig;
  const entry = opts.entry ?? new URL(`./encrypt-worker${extensionOf(import.meta.url)}`, import.meta.url).href;
  const baseMs = opts.timeout?.baseMs ?? 120_000;
  const msPerMB = opts.timeout?.msPerMB ?? 1000;
  const pool = new Piscina({
    // From sources, a thread needs tsx first (worker-boot.mjs); built code loads its entry directly.
    filename: entry.endsWith('.ts') ? new URL('../../shared/worker-boot.mjs', import.meta.url).href : entry,
    workerData: { entry, keyConfig: workerKeyConfig },
    minThreads: opts.threads,
    maxThreads: opts.threads,
    // Tasks are whole recordings; no idle timeout: the key is built once per thread.
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  // Errors of a thread outside any task (its module failed to load): logged, never thrown, which
  // an 'error' event without a listener would be, taking the whole service down.
  pool.on('error', (e: Error) => opts.log?.error({ err: e.message, component: 'recordings' }, 'encryption thread failed'));
  let closed = false;

  async function encryptOpenFile(input: OpenFile, outputPath: string, o: { callId: string; plaintextBytes: number }): Promise<EncryptResult> {
    if (closed) throw new CryptoError('ENCRYPT_FAILED', 'encryption threads are closed');
    const task: EncryptTask = { fd: input.fd, outputPath, callId: o.callId, plaintextBytes: o.plaintextBytes };
    let outcome: EncryptOutcome;
    // A bound on every task: piscina leaves tasks waiting for good when a thread's module cannot
    // load (a broken install), and a stuck recording must fail and be retried, not hold a worker.
    const timeoutMs = baseMs + Math.ceil((o.plaintextBytes / 1e6) * msPerMB);
    try {
      outcome = (await pool.run(task, { signal: AbortSignal.timeout(timeoutMs) })) as EncryptOutcome;
    } catch (e) {
      // The thread itself failed (crashed, timed out, module not loadable): piscina starts another.
      const why = (e as Error).name === 'AbortError' ? `no answer within ${(timeoutMs / 1000).toFixed(1)} s` : (e as Error).message;
      throw new CryptoError('ENCRYPT_FAILED', `encryption thread: ${why}`, { cause: e });
    }
    if (!outcome.ok) throw new CryptoError(outcome.code, outcome.detail);
    return outcome.result;
  }

  return Object.freeze({
    ...envelope,
    encryptOpenFile,
    async close() {
      if (closed) return;
      closed = true;
      await pool.destroy();
      await envelope.close();
    },
  });
}

/** `.ts` when running from sources, `.js` when built. */
function extensionOf(url: string): string {
  return url.endsWith('.ts') ? '.ts' : '.js';
}

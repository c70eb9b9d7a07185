/**
 * `consentline … | head`: the reader goes away early. The CLI must stop writing quietly (no EPIPE
 * stack trace) and exit with the command's own status.
 */
import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { safeWriter } from '../../src/cli/stdio.js';
import { openTestStore, seed, tempDbPath } from '../evidence/helpers.js';
import { CLI_MAIN } from './helpers.js';

const LAUNCHER = fileURLToPath(new URL('../../bin/consentline.js', import.meta.url));

/** Runs the CLI with its stdout read by nobody: the pipe's reading end is closed before the first byte. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: string | null; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, err })));
}

describe('a closed stdout (EPIPE)', () => {
  it('help and a group help end quietly with exit 0', async () => {
    for (const args of [['--help'], ['ledger', '--help']]) {
      const r = await withClosedStdout(args);
      expect(r.err).toBe('');
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
    }
  }, 60_000);

  it("a command still finishes and exits with its own status: ledger verify on a good ledger is 0, a missing one 1", async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    await seed(store, 3);
    await store.close();
    const ok = await withClosedStdout(['ledger', 'verify', '--db', path]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const missing = await withClosedStdout(['ledger', 'verify', '--db', `${path}.missing`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^error DB_NOT_FOUND: /);
    expect(missing.err).not.toMatch(/EPIPE|    at /);
  }, 60_000);

  it('through the bin launcher into a shell pipe whose reader exits at once: nothing on stderr, exit 0', () => {
    // `true` reads nothing and exits long before node has started: every write meets a closed pipe.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${LAUNCHER}" help token | true; echo "cli=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8' });
    expect(r.stderr).toBe('cli=0\n');
  }, 60_000);
});

describe('safeWriter', () => {
  class FakeStream extends EventEmitter {
    readonly chunks: string[] = [];
    write(chunk: string): boolean {
      this.chunks.push(chunk);
      return true;
    }
  }

  it('after EPIPE further writes are dropped; other errors still surface', () => {
    const s = new FakeStream();
    const w = safeWriter(s);
    w.write('a');
    s.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    w.write('b');
    expect(s.chunks).toEqual(['a']);
    expect(w.closed()).toBe(true);
    expect(() => s.emit('error', Object.assign(new Error('disk on fire'), { code: 'EIO' }))).toThrow('disk on fire');
  });

  it('a synchronous EPIPE from write is taken the same way', () => {
    const s = new FakeStream();
    s.write = () => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    };
    const w = safeWriter(s);
    expect(() => w.write('x')).not.toThrow();
    expect(w.closed()).toBe(true);
  });
});

// The encryption thread as it runs from built code (dist/, plain node, no tsx): the pool must load
// encrypt-worker.js itself. Every other test runs from the TypeScript sources, where a thread first
// registers tsx, so a wrong entry name in built code would otherwise only show in production.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cl-dist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** src/**\/*.ts to JavaScript, file by file, as tsc -p tsconfig.build.json lays it out. */
function transpileSources(outDir: string): void {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(d, e.name)] : []));
  for (const file of walk(join(repo, 'src'))) {
    const out = join(outDir, relative(join(repo, 'src'), file)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
}

describe('encryption threads from built code', () => {
  it('plain node loads encrypt-worker.js on its thread; the recording comes back whole', async () => {
    const dist = join(dir, 'dist');
    transpileSources(dist);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    const plain = randomBytes(2 * 1024 * 1024 + 321);
    writeFileSync(join(dir, 'r.wav'), plain);
    const script = `
      import { open } from 'node:fs/promises';
      import { readFileSync } from 'node:fs';
      import { Readable } from 'node:stream';
      import { createHash } from 'node:crypto';
      const c = await import(${JSON.stringify(pathToFileURL(join(dist, 'recordings/crypto/index.js')).href)});
      const keyConfig = { mode: 'local', keyFile: ${JSON.stringify(join(dir, 'k.key'))} };
      const main = c.createRecordingEnvelope(await c.createRecordingKeyring(keyConfig));
      const env = c.withEncryptionThreads(main, keyConfig, { threads: 1, timeout: { baseMs: 20000 } });
      const handle = await open(${JSON.stringify(join(dir, 'r.wav'))});
      const r = await env.encryptOpenFile(handle, ${JSON.stringify(join(dir, 'r.enc'))}, { callId: 'dist-call', plaintextBytes: ${plain.length} });
      await handle.close();
      const back = [];
      for await (const chunk of main.decryptStream(Readable.from([readFileSync(${JSON.stringify(join(dir, 'r.enc'))})]), { expectedCallId: 'dist-call' })) back.push(chunk);
      await env.close();
      const sha = createHash('sha256').update(Buffer.concat(back)).digest('hex');
      console.log(JSON.stringify({ result: r, decryptedSha256: sha, loaders: process.execArgv.filter((a) => /^(--import|--loader|--experimental-loader|--require|-r$)/.test(a)) }));
    `;
    // No tsx anywhere: a .ts entry could not load.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { result: { plaintextSha256: string; plaintextBytes: number; ciphertextSha256: string }; decryptedSha256: string; loaders: string[] };
    const sha = createHash('sha256').update(plain).digest('hex');
    expect(out.loaders).toEqual([]);
    expect(out.result.plaintextBytes).toBe(plain.length);
    expect(out.result.plaintextSha256).toBe(sha);
    expect(out.decryptedSha256).toBe(sha);
    expect(out.result.ciphertextSha256).toBe(createHash('sha256').update(readFileSync(join(dir, 'r.enc'))).digest('hex'));
  }, 90_000);
});

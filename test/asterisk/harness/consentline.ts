/**
 * ConsentLine beside the private Asterisk, as the README runs it: prompts rendered with the
 * project's renderer (one-word test texts) and installed with `consentline prompts install`, the
 * service started through its real entry point (`tsx src/main.ts`) with CONSENTLINE_* env, and the
 * ledger read back through `consentline evidence` and the SQLite file.
 */
import Database from 'better-sqlite3';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, existsSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { AsteriskInstance } from './asterisk.js';
import { REPO } from './asterisk.js';
import { freeTcpPort } from './ports.js';

const run = promisify(execFile);
const TSX = join(REPO, 'node_modules/.bin/tsx');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function consentlineCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(TSX, [join(REPO, 'src/cli/main.ts'), ...args], { cwd: REPO, env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/**
 * Renders test/asterisk/prompts/*.yaml (one word per prompt) into `dir` with scripts/prompts/render.ts;
 * `noticeText` replaces the notice's word (a long notice for scenarios that act while it plays).
 */
export async function renderTestPrompts(dir: string, noticeText?: string): Promise<void> {
  const src = join(REPO, 'test/asterisk/prompts');
  const sources: Array<[string, string]> = [];
  for (const f of (await readdir(src)).sort()) {
    if (!f.endsWith('.yaml')) continue;
    const text = await readFile(join(src, f), 'utf8');
    sources.push([f, noticeText === undefined ? text : text.replace('text: notice }', `text: "${noticeText}" }`)]);
  }
  // Rendered once per set of texts (two hundred prompts take a while on a busy machine), then copied.
  const key = createHash('sha256').update(JSON.stringify(sources)).digest('hex').slice(0, 16);
  const cached = join(homedir(), '.cache/consentline/test-prompts', key);
  if (!existsSync(join(cached, 'manifest.json'))) {
    const work = `${cached}.${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(work, { recursive: true });
    for (const [f, text] of sources) await writeFile(join(work, f), text);
    await run(TSX, [join(REPO, 'scripts/prompts/render.ts'), '--dir', work], { cwd: REPO, timeout: 600_000 });
    // Another file may have rendered the same texts meanwhile: theirs is as good as ours.
    await rename(work, cached).catch(() => rm(work, { recursive: true, force: true }));
  }
  await cp(cached, dir, { recursive: true });
}

export interface ServiceOptions {
  readonly asterisk: AsteriskInstance;
  readonly dir: string;
  readonly promptsDir: string;
  readonly config: Record<string, unknown>;
  /** Added to (or replacing) the environment below, e.g. an https:// CONSENTLINE_ARI_URL. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ConsentLineService {
  readonly dbPath: string;
  readonly configFile: string;
  readonly apiPort: number;
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export async function consentLineService(o: ServiceOptions): Promise<ConsentLineService> {
  const apiPort = await freeTcpPort();
  const opsPort = await freeTcpPort();
  const dataDir = join(o.dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const configFile = join(o.dir, 'consentline.yaml');
  await writeFile(configFile, stringify(o.config));
  const a = o.asterisk;
  const env: NodeJS.ProcessEnv = {
    CONSENTLINE_CONFIG: configFile,
    CONSENTLINE_DATA_DIR: dataDir,
    CONSENTLINE_DB: join(dataDir, 'consentline.sqlite'),
    CONSENTLINE_PROMPTS_DIR: o.promptsDir,
    CONSENTLINE_ARI_URL: `http://127.0.0.1:${a.httpPort}`,
    CONSENTLINE_ARI_USERNAME: a.ariUser,
    CONSENTLINE_ARI_PASSWORD: a.ariPassword,
    CONSENTLINE_AMI_SECRET: a.amiSecret,
    CONSENTLINE_PEPPER: 'asterisk-suite-pepper-0123456789abcdef',
    CONSENTLINE_API_HOST: '127.0.0.1',
    CONSENTLINE_API_PORT: String(apiPort),
    // Not the default 8481: another service on the machine may hold it.
    CONSENTLINE_API_OPS_PORT: String(opsPort),
    ...o.env,
  };
  const logFile = join(o.dir, 'consentline.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const ariApps = async (): Promise<string[]> => {
    const auth = Buffer.from(`${a.ariUser}:${a.ariPassword}`).toString('base64');
    const res = await fetch(`http://127.0.0.1:${a.httpPort}/ari/applications`, { headers: { authorization: `Basic ${auth}` } });
    return res.ok ? ((await res.json()) as { name: string }[]).map((x) => x.name) : [];
  };
  const waitConnected = async (want: boolean) => {
    const deadline = Date.now() + 60_000;
    while ((await ariApps()).includes('consentline') !== want) {
      if (want && child?.exitCode != null) throw new Error(`consentline exited with ${child.exitCode}; log: ${logFile}`);
      if (Date.now() > deadline) throw new Error(`consentline ${want ? 'did not connect to' : 'did not leave'} ARI within 60 s; log: ${logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  return {
    dbPath: env.CONSENTLINE_DB!,
    configFile,
    apiPort,
    env,
    logFile,
    async start() {
      // `tsx src/main.ts` as one process (the tsx CLI would put the service in a child of its own,
      // which a SIGKILL of the wrapper would leave running).
      child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(process.env.BENCH_CPU_PROF_DIR, 'consentline')] : []), '--import', 'tsx', 'src/main.ts'], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      const c = child;
      exited = new Promise((r) => c.once('exit', () => r()));
      await waitConnected(true);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
      await waitConnected(false);
    },
    async kill() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface LedgerCall {
  readonly callId: string;
  readonly flowId: string;
  readonly did: string;
  readonly outcome: string | null;
  readonly recording: string | null;
  readonly marketing: string | null;
  readonly language: string | null;
  readonly legalBasis: string;
}

export interface LedgerEvent {
  readonly kind: string;
  readonly data: Record<string, unknown>;
}

/** Read-only look at the service's SQLite ledger (WAL: safe beside the running writer). */
export class Ledger {
  readonly #db: Database.Database;
  constructor(path: string) {
    this.#db = new Database(path, { readonly: true, fileMustExist: true });
  }
  callIdsForChannel(channelId: string): string[] {
    return (
      this.#db
        .prepare(`SELECT call_id FROM events WHERE kind = 'call.started' AND json_extract(data, '$.channelId') = ? ORDER BY seq`)
        .all(channelId) as { call_id: string }[]
    ).map((r) => r.call_id);
  }
  call(callId: string): LedgerCall | null {
    const row = this.#db
      .prepare(
        `SELECT call_id AS callId, flow_id AS flowId, did, outcome, recording, marketing, language, legal_basis AS legalBasis FROM calls WHERE call_id = ?`,
      )
      .get(callId) as LedgerCall | undefined;
    return row ?? null;
  }
  events(callId: string): LedgerEvent[] {
    return (this.#db.prepare(`SELECT kind, data FROM events WHERE call_id = ? ORDER BY seq`).all(callId) as { kind: string; data: string }[]).map(
      (r) => ({ kind: r.kind, data: JSON.parse(r.data) as Record<string, unknown> }),
    );
  }
  /** Events of one kind that belong to no call (access.logged, outbound.checked, withdrawals by letter), in order. */
  callless(kind: string): LedgerEvent[] {
    return (this.#db.prepare(`SELECT kind, data FROM events WHERE call_id IS NULL AND kind = ? ORDER BY seq`).all(kind) as { kind: string; data: string }[]).map(
      (r) => ({ kind: r.kind, data: JSON.parse(r.data) as Record<string, unknown> }),
    );
  }
  /** The marketing registry's state for one look-up key (null: none). */
  marketingState(lookupKey: string): { state: string; how: string; callId: string | null } | null {
    return (this.#db.prepare('SELECT state, how, call_id AS callId FROM marketing_consents WHERE lookup_key = ?').get(lookupKey) as { state: string; how: string; callId: string | null } | undefined) ?? null;
  }
  /** Waits until the call of this channel has an outcome in the ledger. */
  async ended(channelId: string, timeoutMs = 30_000): Promise<LedgerCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [id] = this.callIdsForChannel(channelId);
      const call = id ? this.call(id) : null;
      if (call?.outcome) return call;
      if (Date.now() > deadline) throw new Error(`no outcome in the ledger for channel ${channelId} within ${timeoutMs} ms (call ${id ?? 'never started'})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** The pipeline's recordings of a call: id, state and the spool file it came from. */
  recordings(callId: string): { id: string; state: string; sourceName: string }[] {
    return this.#db.prepare(`SELECT id, state, source_name AS sourceName FROM recordings WHERE call_id = ? ORDER BY started_at`).all(callId) as {
      id: string;
      state: string;
      sourceName: string;
    }[];
  }
  close(): void {
    this.#db.close();
  }
}

/**
 * A private Asterisk for the real-Asterisk suite: the build from scripts/asterisk/build.sh (the
 * cache outside the clone), its own asterisk.conf and directories under a temp dir, free loopback
 * ports, and the project's shipped asterisk/*.conf loaded verbatim but for credentials, ports and
 * paths. Nothing is written to the host's Asterisk configuration or spool directories.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort, freeUdpPort } from './ports.js';

const run = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../../..');
const STUBS = join(REPO, 'test/asterisk/stubs');
// asterisk-core-sounds-en-wav installs en_US_f_Allison; the `en` link comes from the alternatives
// of asterisk-core-sounds-en, which --no-install-recommends leaves out.
const DEBIAN_SOUNDS = ['/usr/share/asterisk/sounds/en', '/usr/share/asterisk/sounds/en_US_f_Allison'].find((d) => existsSync(d)) ?? '/usr/share/asterisk/sounds/en';
const DEBIAN_MOH = '/usr/share/asterisk/moh';

export interface AsteriskInstance {
  readonly dir: string;
  readonly prefix: string;
  readonly httpPort: number;
  readonly amiPort: number;
  readonly sipPort: number;
  readonly ariUser: string;
  readonly ariPassword: string;
  readonly amiUser: string;
  readonly amiSecret: string;
  readonly soundsDir: string;
  readonly monitorDir: string;
  readonly logFile: string;
  cli(command: string): Promise<string>;
  stop(): Promise<void>;
}

/** Runs the build script, which returns the cached install at once (or builds it, minutes). */
export async function asteriskPrefix(): Promise<string> {
  if (process.env.CONSENTLINE_ASTERISK_PREFIX) return process.env.CONSENTLINE_ASTERISK_PREFIX;
  const { stdout } = await run('bash', [join(REPO, 'scripts/asterisk/build.sh')], { maxBuffer: 16 << 20 });
  const prefix = stdout.trim().split('\n').at(-1) ?? '';
  if (!prefix.startsWith('/')) throw new Error(`scripts/asterisk/build.sh printed no install directory:\n${stdout}`);
  return prefix;
}

/** Replaces exactly one match of `pattern`, so a changed shipped file fails loudly instead of loading unsubstituted. */
function substitute(text: string, file: string, pattern: RegExp, value: string): string {
  const hits = text.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
  if (hits !== 1) throw new Error(`asterisk/${file}: expected one line matching ${pattern}, found ${hits}`);
  return text.replace(new RegExp(pattern.source, 'm'), value);
}

async function linkEach(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) await symlink(join(from, name), join(to, name));
}

export interface AsteriskOptions {
  /**
   * Capture mode "ami": the edits the shipped manager.conf's comments prescribe for it (write = call,system;
   * the CONSENT_ID and CONSENT_RECORDING VarSet filters uncommented), nothing else.
   */
  readonly amiCapture?: boolean;
  /**
   * Routes checked against the dialplan: the edits the shipped manager.conf's comments prescribe
   * (write = call,reporting for ShowDialPlan; read adds system for the Reload event; its filter uncommented).
   */
  readonly routeCheck?: boolean;
  /** Test-only additions to the configs, written before Asterisk starts. */
  readonly customize?: (etc: string) => Promise<void>;
}

function amiCaptureEdits(manager: string): string {
  let text = substitute(manager, 'manager.conf', /^write = call$/, 'write = call,system');
  for (const name of ['CONSENT_ID', 'CONSENT_RECORDING']) {
    const line = `eventfilter(action(include),name(VarSet),header(Variable),method(exact)) = ${name}`;
    text = substitute(text, 'manager.conf', new RegExp(`^;${line.replace(/[()]/g, '\\$&')}$`), line);
  }
  return text;
}

function routeCheckEdits(manager: string): string {
  let text = substitute(manager, 'manager.conf', /^write = call$/, 'write = call,reporting');
  text = substitute(text, 'manager.conf', /^read = call,dialplan,user$/, 'read = call,dialplan,user,system');
  return substitute(text, 'manager.conf', /^;eventfilter\(action\(include\),name\(Reload\)\) =$/, 'eventfilter(action(include),name(Reload)) =');
}

async function shippedConfigs(etc: string, a: { httpPort: number; amiPort: number; ariPassword: string; amiSecret: string }, o: AsteriskOptions) {
  const shipped = (f: string) => readFile(join(REPO, 'asterisk', f), 'utf8');
  const { stdout: hash } = await run('openssl', ['passwd', '-6', '-salt', randomBytes(6).toString('hex'), a.ariPassword]);
  await writeFile(join(etc, 'http.conf'), substitute(await shipped('http.conf'), 'http.conf', /^bindport = 8088$/, `bindport = ${a.httpPort}`));
  await writeFile(join(etc, 'ari.conf'), substitute(await shipped('ari.conf'), 'ari.conf', /^password = \$6\$.*$/, `password = ${hash.trim()}`));
  let manager = substitute(await shipped('manager.conf'), 'manager.conf', /^port = 5038$/, `port = ${a.amiPort}`);
  manager = substitute(manager, 'manager.conf', /^secret = .*$/, `secret = ${a.amiSecret}`);
  if (o.amiCapture) manager = amiCaptureEdits(manager);
  if (o.routeCheck) manager = routeCheckEdits(manager);
  await writeFile(join(etc, 'manager.conf'), manager);
  // Recording assurance: CEL over AMI (cel_manager), as shipped.
  await copyFile(join(REPO, 'asterisk/cel.conf'), join(etc, 'cel.conf'));
  // README §4: the shipped dialplan goes in as consentline.conf, included from extensions.conf.
  await copyFile(join(REPO, 'asterisk/extensions.conf'), join(etc, 'consentline.conf'));
}

async function stubConfigs(etc: string, sipPort: number): Promise<void> {
  for (const f of await readdir(STUBS)) {
    if (!f.endsWith('.conf')) continue;
    const text = await readFile(join(STUBS, f), 'utf8');
    await writeFile(join(etc, f), text.replaceAll('@PJSIP_PORT@', String(sipPort)));
  }
}

function asteriskConf(dir: string, prefix: string): string {
  const d = (sub: string) => join(dir, sub);
  return [
    '[directories]',
    `astetcdir => ${d('etc')}`,
    `astmoddir => ${join(prefix, 'lib/asterisk/modules')}`,
    `astvarlibdir => ${d('lib')}`,
    `astdbdir => ${d('lib')}`,
    `astkeydir => ${d('lib')}`,
    `astdatadir => ${d('data')}`,
    `astagidir => ${d('data/agi-bin')}`,
    `astspooldir => ${d('spool')}`,
    `astrundir => ${d('run')}`,
    `astlogdir => ${d('log')}`,
    `astcachedir => ${d('cache')}`,
    `astsbindir => ${join(prefix, 'sbin')}`,
    '[options]',
    'verbose = 3',
    'nofork = yes',
    '',
  ].join('\n');
}

/** `options.customize` runs after the shipped configs and the stubs are written, before Asterisk starts (test-only additions). */
export async function startAsterisk(dir: string, options: AsteriskOptions = {}): Promise<AsteriskInstance> {
  const prefix = await asteriskPrefix();
  const [httpPort, amiPort, sipPort] = [await freeTcpPort(), await freeTcpPort(), await freeUdpPort()];
  const creds = { ariUser: 'consentline', ariPassword: randomBytes(12).toString('hex'), amiUser: 'consentline', amiSecret: randomBytes(12).toString('hex') };
  for (const sub of ['etc', 'lib', 'data/sounds', 'spool/monitor', 'spool/recording', 'run', 'log', 'cache']) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  const etc = join(dir, 'etc');
  await writeFile(join(etc, 'asterisk.conf'), asteriskConf(dir, prefix));
  await shippedConfigs(etc, { httpPort, amiPort, ...creds }, options);
  await stubConfigs(etc, sipPort);
  await options.customize?.(etc);
  // Real directories holding links, so installing prompts never writes into the Debian packages' files.
  await linkEach(DEBIAN_SOUNDS, join(dir, 'data/sounds/en'));
  await mkdir(join(dir, 'data/sounds/pl'), { recursive: true });
  await symlink(DEBIAN_MOH, join(dir, 'data/moh'));
  // The build's own data: XML documentation (config types without it fail to register, and Stasis
  // then refuses to start) and the ARI API documents (GET /ari/api-docs, the service's connect probe).
  for (const sub of ['documentation', 'rest-api']) await symlink(join(prefix, 'var/lib/asterisk', sub), join(dir, 'data', sub));

  const bin = join(prefix, 'sbin/asterisk');
  const conf = join(etc, 'asterisk.conf');
  const cli = async (command: string) => (await run(bin, ['-C', conf, '-rx', command], { timeout: 30_000 })).stdout;
  const child: ChildProcess = spawn(bin, ['-C', conf, '-f', '-n', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  await waitFullyBooted(cli, child, () => stderr);
  return {
    dir, prefix, httpPort, amiPort, sipPort, ...creds,
    soundsDir: join(dir, 'data/sounds'),
    monitorDir: join(dir, 'spool/monitor'),
    logFile: join(dir, 'log/messages.log'),
    cli,
    async stop() {
      if (child.exitCode !== null) return;
      await cli('core stop now').catch(() => child.kill('SIGKILL'));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitFullyBooted(cli: (c: string) => Promise<string>, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`asterisk exited with ${child.exitCode} at start:\n${stderr()}`);
    try {
      await cli('core waitfullybooted');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`asterisk did not boot within 60 s: ${String(err)}\n${stderr()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

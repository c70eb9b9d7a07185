import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CONFIG } from '../../src/config/builtin.js';
import { CHANNEL_VARS, DEFAULTS, PROMPT_IDS } from '../../src/config/defaults.js';
import { parseConf, parseDialplan, parseGotoIf, sections, splitArgs, value, values, type Priority } from './asterisk-conf.js';

const dir = join(import.meta.dirname, '../../asterisk');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('http.conf', () => {
  const conf = parseConf(read('http.conf'));
  it('serves ARI on loopback at the port ConsentLine connects to', () => {
    const url = new URL(DEFAULTS.ariUrl);
    expect(value(conf, 'general', 'enabled')).toBe('yes');
    expect(value(conf, 'general', 'bindaddr')).toBe(url.hostname);
    expect(value(conf, 'general', 'bindport')).toBe(url.port);
  });
  it('keeps the TLS variant commented out', () => {
    expect(conf.filter((l) => l.key.startsWith('tls'))).toEqual([]);
    expect(read('http.conf')).toMatch(/^;tlsenable = yes$/m);
  });
});

describe('ari.conf', () => {
  const conf = parseConf(read('ari.conf'));
  it('has the dedicated user with a crypt password', () => {
    expect(value(conf, 'general', 'enabled')).toBe('yes');
    expect(value(conf, DEFAULTS.ariUser, 'type')).toBe('user');
    expect(value(conf, DEFAULTS.ariUser, 'read_only')).toBe('no');
    expect(value(conf, DEFAULTS.ariUser, 'password_format')).toBe('crypt');
    expect(value(conf, DEFAULTS.ariUser, 'password')).toMatch(/^\$6\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$/);
    expect(sections(conf)).toEqual(['general', DEFAULTS.ariUser]);
  });
  it('keeps the outbound WebSocket variant commented out, with a plain-text local user as Asterisk requires', () => {
    expect(read('ari.conf')).toMatch(/^;type = outbound_websocket$/m);
    expect(read('ari.conf')).toMatch(/^;password_format = plain$/m);
  });
});

describe('websocket_client.conf', () => {
  it('is all comments: the default setup does not connect out', () => {
    expect(parseConf(read('websocket_client.conf'))).toEqual([]);
    expect(read('websocket_client.conf')).toMatch(/^;connection_type = persistent$/m);
    expect(read('websocket_client.conf')).toMatch(/^;protocols = ari$/m);
  });
});

describe('manager.conf', () => {
  const conf = parseConf(read('manager.conf'));
  const user = DEFAULTS.amiUser;
  const classes = (v: string | undefined) => new Set((v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

  it('keeps the TLS variant commented out', () => {
    expect(conf.filter((l) => l.key.startsWith('tls'))).toEqual([]);
    expect(read('manager.conf')).toMatch(/^;tlsenable = yes$/m);
  });

  it('listens on loopback at the AMI port', () => {
    expect(value(conf, 'general', 'enabled')).toBe('yes');
    expect(value(conf, 'general', 'bindaddr')).toBe(DEFAULTS.amiHost);
    expect(value(conf, 'general', 'port')).toBe(String(DEFAULTS.amiPort));
    expect(value(conf, 'general', 'webenabled')).toBe('no');
  });

  it('gives the user write = call exactly, and read = call plus dialplan and user for the filtered VarSet and UserEvent only', () => {
    expect(sections(conf)).toEqual(['general', user]);
    expect(classes(value(conf, user, 'write'))).toEqual(new Set(['call']));
    const read = classes(value(conf, user, 'read'));
    expect(read.has('call')).toBe(true);
    // "dialplan" is allowed only because VarSet is a dialplan-class event; every filter must
    // be an include so no other dialplan event passes.
    // "user" only for the pause/resume UserEvent (issue 23), filtered by its name below.
    expect([...read].filter((c) => c !== 'call')).toEqual(['dialplan', 'user']);
  });

  it('denies everything, then permits 127.0.0.1 only', () => {
    const acl = conf.filter((l) => l.section === user && (l.key === 'deny' || l.key === 'permit'));
    expect(acl.map((l) => `${l.key}=${l.value}`)).toEqual(['deny=0.0.0.0/0.0.0.0', 'permit=127.0.0.1/255.255.255.255']);
  });

  it('filters events to MixMonitorStart, MixMonitorStop, MixMonitorMute, VarSet of MIXMONITOR_FILENAME, Hangup, UserEvents ConsentLineRecording and ConsentLineJoiner, BridgeEnter/Leave (joiners) and CEL (assurance)', () => {
    const filters = conf.filter((l) => l.section === user && l.key.startsWith('eventfilter'));
    const parsed = filters.map((f) => {
      const crit = /^eventfilter\((.*)\)$/.exec(f.key)?.[1] ?? '';
      const get = (k: string) => new RegExp(`${k}\\(([^)]*)\\)`).exec(crit)?.[1];
      return { action: get('action') ?? 'include', name: get('name'), header: get('header'), method: get('method'), expr: f.value };
    });
    expect(parsed.every((p) => p.action === 'include')).toBe(true);
    expect(parsed.map((p) => p.name).sort()).toEqual(['BridgeEnter', 'BridgeLeave', 'CEL', 'Hangup', 'MixMonitorMute', 'MixMonitorStart', 'MixMonitorStop', 'UserEvent', 'UserEvent', 'VarSet']);
    expect(parsed.find((p) => p.name === 'VarSet')).toMatchObject({ header: 'Variable', method: 'exact', expr: 'MIXMONITOR_FILENAME' });
    const userEvents = parsed.filter((p) => p.name === 'UserEvent');
    expect(userEvents.every((p) => p.header === 'UserEvent' && p.method === 'exact')).toBe(true);
    expect(userEvents.map((p) => p.expr).sort()).toEqual(['ConsentLineJoiner', 'ConsentLineRecording']);
  });
});

describe('cel.conf', () => {
  const conf = parseConf(read('cel.conf'));
  it('turns CEL on, sends it over AMI, and tracks exactly what assurance reads', () => {
    expect(value(conf, 'general', 'enable')).toBe('yes');
    expect(value(conf, 'manager', 'enabled')).toBe('yes');
    expect(value(conf, 'general', 'apps')?.split(',').sort()).toEqual(['dial', 'mixmonitor', 'queue', 'stasis']);
    expect(value(conf, 'general', 'events')?.split(',')).toEqual(expect.arrayContaining(['CHAN_START', 'ANSWER', 'APP_START', 'HANGUP']));
  });
});

const CONTEXTS = [DEFAULTS.inboundContext, DEFAULTS.afterContext, DEFAULTS.fallbackContext, DEFAULTS.outboundContext, DEFAULTS.outboundDialContext, 'consentline-recording-control', 'consentline-joiner'];
/** Destinations outside the snippet that a FreePBX system provides. */
const FREEPBX_CONTEXTS = new Set(['ext-queues', 'from-did-direct', 'from-internal']);

describe.each([
  ['extensions.conf', 'extensions.conf'],
  ['freepbx/extensions_custom.conf', 'freepbx/extensions_custom.conf'],
])('dialplan %s', (_name, file) => {
  const text = read(file);
  const dp = parseDialplan(text);
  const inContext = (c: string) => dp.filter((p) => p.context === c);
  const mixmonitors = dp.filter((p) => p.app === 'MixMonitor');

  it('defines the shared contexts and the recording-control subroutine, nothing else', () => {
    expect([...new Set(dp.map((p) => p.context))].sort()).toEqual([...CONTEXTS].sort());
  });

  it('hands inbound calls to Stasis with the app name and the called number as its first argument', () => {
    const inbound = inContext(DEFAULTS.inboundContext);
    const stasis = inbound.filter((p) => p.app === 'Stasis');
    expect(stasis).toHaveLength(1);
    const [app, did, ...rest] = splitArgs(stasis[0]!.args);
    expect(app).toBe(DEFAULTS.ariApp);
    expect(rest).toEqual([]);
    // FreePBX's inbound route keeps the DID in FROM_DID; the plain dialplan keeps EXTEN itself.
    expect(did).toBe(file.startsWith('freepbx/') ? '${FROM_DID}' : '${CONSENTLINE_DID}');
    // Every DID extension that jumps to s saves EXTEN first: the Goto would replace it with "s".
    for (const exten of new Set(inbound.filter((p) => p.exten !== 's').map((p) => p.exten))) {
      const steps = inbound.filter((p) => p.exten === exten);
      expect(steps[0]).toMatchObject({ app: 'Set', args: 'CONSENTLINE_DID=${EXTEN}' });
    }
  });

  it('plays the notice and goes to the fallback, unrecorded, when STASISSTATUS is FAILED', () => {
    const inbound = inContext(DEFAULTS.inboundContext);
    const stasisAt = inbound.findIndex((p) => p.app === 'Stasis');
    const check = inbound.slice(stasisAt + 1).find((p) => p.app === 'GotoIf')!;
    const g = parseGotoIf(check.args);
    expect(g.cond).toMatch(/\$\["\$\{STASISSTATUS\}" = "FAILED"\]/);
    const block = blockFrom(inbound, g.ifTrue);
    expect(block.map((p) => p.app)).toContain('Playback');
    expect(block.find((p) => p.app === 'Playback')?.args).toBe(`${DEFAULTS.soundsSubdir}/notice`);
    expect(block.some((p) => p.app === 'Set' && p.args === `${CHANNEL_VARS.recording}=no`)).toBe(true);
    expect(block.at(-1)).toMatchObject({ app: 'Goto' });
    expect(block.at(-1)!.args.startsWith(`${DEFAULTS.fallbackContext},`)).toBe(true);
    expect(inbound.some((p) => /MixMonitor/.test(p.app))).toBe(false);
  });

  it('plays only prompts that exist', () => {
    const media = dp.filter((p) => p.app === 'Playback' || p.app === 'Background').flatMap((p) => splitArgs(p.args)[0]!.split('&'));
    expect(media.length).toBeGreaterThan(0);
    for (const m of media) {
      const [sub, id] = m.split('/');
      expect(sub).toBe(DEFAULTS.soundsSubdir);
      expect(PROMPT_IDS).toContain(id);
    }
  });

  it('uses only the shared CONSENT_* channel variables', () => {
    const used = new Set(text.match(/CONSENT_[A-Z_]+/g));
    expect([...used].every((v) => (Object.values(CHANNEL_VARS) as string[]).includes(v))).toBe(true);
    expect(used).toEqual(new Set(Object.values(CHANNEL_VARS)));
  });

  it('starts MixMonitor once, only behind CONSENT_RECORDING = "yes"', () => {
    expect(mixmonitors).toHaveLength(1);
    for (const mm of mixmonitors) {
      expect(mm.context).toBe(DEFAULTS.afterContext);
      const ext = dp.filter((p) => p.context === mm.context && p.exten === mm.exten).sort((a, b) => a.priority - b.priority);
      const idx = ext.indexOf(mm);
      // Walk back to the label that opens MixMonitor's block; nothing in between may jump away.
      let start = idx;
      while (start > 0 && ext[start]!.label === undefined) start--;
      const label = ext[start]!.label!;
      expect(label).toBeDefined();
      // The priority before the label is the GotoIf that always jumps, true branch = this label.
      const gate = ext[start - 1]!;
      expect(gate.app).toBe('GotoIf');
      const g = parseGotoIf(gate.args);
      expect(g.ifTrue).toBe(label);
      expect(g.cond).toContain(`"\${${CHANNEL_VARS.recording}}" = "yes"`);
      expect(g.cond).not.toMatch(/\|/); // only "and" conditions may narrow it further
      expect(g.ifFalse).not.toBe('');
      // No other jump reaches the recording block.
      const jumps = dp.filter((p) => p !== gate && ['Goto', 'GotoIf', 'Gosub', 'GosubIf', 'ExecIf'].includes(p.app));
      expect(jumps.filter((p) => new RegExp(`(^|[,?:])${label}(\\)|,|:|$)`).test(p.args))).toEqual([]);
    }
  });

  it('names the recording from ids only, never from caller ID', () => {
    for (const mm of mixmonitors) {
      let fileArg = splitArgs(mm.args)[0]!;
      const viaVar = /^\$\{([A-Z_]+)\}$/.exec(fileArg);
      if (viaVar) {
        const set = dp.find((p) => p.context === mm.context && p.exten === mm.exten && p.app === 'Set' && p.args.startsWith(`${viaVar[1]}=`));
        expect(set).toBeDefined();
        fileArg = set!.args.slice(viaVar[1]!.length + 1);
      }
      expect(fileArg).not.toMatch(/CALLERID|CONNECTEDLINE|CDR\(src\)|\$\{EXTEN\}/i);
      expect(fileArg).toContain(`\${${CHANNEL_VARS.consentId}}`);
      expect(fileArg).toMatch(/UNIQUEID/);
      expect(fileArg).toMatch(/\.wav$/);
    }
  });

  it('has no MixMonitor on the objection and fallback paths', () => {
    expect(inContext(DEFAULTS.fallbackContext).filter((p) => p.app === 'MixMonitor')).toEqual([]);
    const fallbackSet = inContext(DEFAULTS.fallbackContext).filter((p) => p.app === 'Set').map((p) => p.args);
    expect(fallbackSet).toContain(`${CHANNEL_VARS.recording}=no`);
    for (const mm of mixmonitors) {
      const ext = dp.filter((p) => p.context === mm.context && p.exten === mm.exten);
      const gate = ext.find((p) => p.app === 'GotoIf' && p.args.includes(CHANNEL_VARS.recording))!;
      const objection = blockFrom(ext, parseGotoIf(gate.args).ifFalse);
      expect(objection.length).toBeGreaterThan(0);
      expect(objection.some((p) => /MixMonitor/.test(p.app) && p.app !== 'StopMixMonitor')).toBe(false);
      expect(objection.map((p) => p.args)).toContain(`${CHANNEL_VARS.recording}=no`);
    }
  });

  it('every Goto/Gosub target exists (a wrong one silently drops the call)', () => {
    const targets = dp.filter((p) => p.app === 'Goto' || p.app === 'Gosub').map((p) => splitArgs(p.args));
    for (const t of targets) {
      if (t.length === 3) {
        const [ctx, exten] = t as [string, string];
        if (FREEPBX_CONTEXTS.has(ctx) && file.startsWith('freepbx/')) continue;
        expect(dp.some((p) => p.context === ctx && (p.exten === exten || matches(p.exten, exten))), `${t.join(',')}`).toBe(true);
      }
    }
  });

  it('asks ConsentLine before any outbound Dial; dials only behind CONSENT_OUTBOUND = "allowed"; a refused or unchecked call is never dialled', () => {
    const outbound = inContext(DEFAULTS.outboundContext);
    const stasis = outbound.filter((p) => p.app === 'Stasis');
    expect(stasis).toHaveLength(1);
    expect(splitArgs(stasis[0]!.args)).toEqual([DEFAULTS.ariApp, DEFAULTS.outboundStasisArg, '${CONSENTLINE_CAMPAIGN}', '${CONSENTLINE_DIAL}']);
    // Past Stasis without a decision: a hang-up, nothing dialled.
    const after = outbound.slice(outbound.indexOf(stasis[0]!) + 1);
    expect(after.some((p) => p.app === 'Dial' || p.app === 'Goto')).toBe(false);
    expect(after.at(-1)).toMatchObject({ app: 'Hangup' });
    const dialCtx = inContext(DEFAULTS.outboundDialContext);
    // The campaign's number is dialled (or handed to the PBX's outbound routes) in one place only.
    const dials = dp.filter((p) => (p.app === 'Dial' || p.app === 'Goto') && p.args.includes('${CONSENTLINE_DIAL}'));
    expect(dials).toHaveLength(1);
    expect(dials.every((p) => p.context === DEFAULTS.outboundDialContext && p.exten === 'dial')).toBe(true);
    const dialExt = dialCtx.filter((p) => p.exten === 'dial');
    const gate = dialExt[0]!;
    expect(gate.app).toBe('GotoIf');
    expect(gate.args).toContain(`"\${${CHANNEL_VARS.outbound}}" = "allowed"`);
    expect(parseGotoIf(gate.args).ifFalse).toBe('refused,1');
    const refused = dialCtx.filter((p) => p.exten === 'refused');
    expect(refused.map((p) => p.app)).toEqual(['Log', 'Hangup']);
  });

  it("has the routes of the built-in config", () => {
    for (const route of Object.values(BUILTIN_CONFIG.routes)) {
      expect(dp.some((p) => p.context === route.context && p.exten === route.extension && p.priority === route.priority), JSON.stringify(route)).toBe(true);
    }
  });
});

/** The priorities from `label` up to the first Return/Goto/Hangup (inclusive). */
function blockFrom(prios: readonly Priority[], label: string): Priority[] {
  const start = prios.findIndex((p) => p.label === label);
  if (start < 0) return [];
  const out: Priority[] = [];
  for (const p of prios.slice(start)) {
    if (p.exten !== prios[start]!.exten) break;
    out.push(p);
    if (['Return', 'Goto', 'Hangup'].includes(p.app)) break;
  }
  return out;
}

/** Asterisk extension pattern match (enough for _X. / _[...]. patterns). */
function matches(pattern: string, exten: string): boolean {
  if (!pattern.startsWith('_')) return false;
  const re = pattern
    .slice(1)
    .replace(/X/g, '[0-9]')
    .replace(/Z/g, '[1-9]')
    .replace(/N/g, '[2-9]')
    .replace(/\./g, '.+')
    .replace(/!/g, '.*');
  return new RegExp(`^${re}$`).test(exten);
}

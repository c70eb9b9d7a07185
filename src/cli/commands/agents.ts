import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { subjectPseudonym } from '../../api/routes/recording-control.js';
import { engineFor, type AgentsDatabase } from '../../db/engine.js';
import { AgentRegistry, type DpoActor } from '../../joiners/agents.js';
import type { Agent, MonitoringNotice } from '../../joiners/registry.js';
import { systemClock } from '../../shared/clock.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { configuredDbTarget } from '../open-store.js';
import { recordingToolConfig } from '../tool-config.js';
import { dpoFromToken, lookupPepper, TOOL_OPTIONS } from './retention.js';
import { resolve } from 'node:path';

interface Tool {
  readonly db: AgentsDatabase;
  readonly registry: AgentRegistry;
  readonly pepper: string;
}

async function withTool(values: { config?: string | undefined; db?: string | undefined }, io: CliIo, fn: (t: Tool) => Promise<ExitCode>): Promise<ExitCode> {
  const config = recordingToolConfig(values, io);
  const db = await engineFor(configuredDbTarget(values, config)).openAgentsDatabase();
  try {
    const j = config.recordings.joiners;
    const registry = new AgentRegistry({ repo: db.repo, evidence: db.evidence, clock: systemClock, minDays: j.employeeNoticeMinDays, defaultLanguage: j.defaultLanguage });
    const pepper = lookupPepper(config, resolve(config.service.dataDir));
    return await fn({ db, registry, pepper });
  } finally {
    await db.close();
  }
}

/** A change by the DPO: the token checked, the actor pseudonymised like the API does. */
function asDpo(values: { config?: string | undefined; db?: string | undefined; token?: string | undefined }, io: CliIo, fn: (t: Tool, actor: DpoActor) => Promise<ExitCode>): Promise<ExitCode> {
  return withTool(values, io, async (t) => {
    const by = await dpoFromToken(t.db.tokens, values.token, io);
    if (!by) return EXIT.failed;
    return fn(t, { tokenId: by.tokenId, role: by.role, subjectRef: subjectPseudonym(t.pepper, by.subject ?? by.tokenName) });
  });
}

function describe(a: Agent, registry: AgentRegistry): string {
  const v = registry.verdict(a);
  const n = a.notice ? `informed ${a.notice.informedOn} (document ${a.notice.documentVersion}, sha256 ${a.notice.documentSha256.slice(0, 12)}…)` : 'not informed';
  const rec = v.status === 'ok' ? `recorded (notice ${v.ageDays} days old)` : `NOT recorded: ${v.status}${'ageDays' in v ? ` (${v.ageDays} of ${registry.minDays} days)` : ''}`;
  return `${a.agentId}  ${a.interfaces.join(',')}  lang ${a.language}  ${n}  ${rec}`;
}

const print = (a: Agent, t: Tool, io: CliIo, json: boolean) => io.out(json ? JSON.stringify({ ...a, recordable: t.registry.verdict(a) }) : describe(a, t.registry));

export const agentsList: Command = {
  name: 'agents list',
  summary: "the agents registry: each agent's interfaces, notice language, monitoring notice and whether calls bridged to them are recorded today",
  usage: 'consentline agents list [--json] [--config file] [--db path|url]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: [...argv], options: TOOL_OPTIONS, allowPositionals: true, strict: true });
    if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
    return withTool(values, io, async (t) => {
      const agents = await t.registry.list();
      for (const a of agents) print(a, t, io, values.json === true);
      if (!values.json) io.out(`${agents.length} agent(s); notice needed at least ${t.registry.minDays} days before recording`);
      return EXIT.ok;
    });
  },
};

export const agentsShow: Command = {
  name: 'agents show',
  summary: 'one agent of the registry',
  usage: 'consentline agents show AGENT-ID [--json] [--config file] [--db path|url]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: [...argv], options: TOOL_OPTIONS, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('one agent id is needed');
    return withTool(values, io, async (t) => {
      const a = await t.registry.get(positionals[0]!);
      if (!a) {
        io.err(`no agent ${positionals[0]}`);
        return EXIT.failed;
      }
      print(a, t, io, values.json === true);
      return EXIT.ok;
    });
  },
};

const SET_OPTIONS = {
  ...TOOL_OPTIONS,
  interface: { type: 'string', multiple: true },
  language: { type: 'string' },
  'informed-on': { type: 'string' },
  'document-version': { type: 'string' },
  'document-sha256': { type: 'string' },
  document: { type: 'string' },
  'not-informed': { type: 'boolean' },
  token: { type: 'string' },
} as const;

async function noticeOf(v: { 'informed-on'?: string | undefined; 'document-version'?: string | undefined; 'document-sha256'?: string | undefined; document?: string | undefined; 'not-informed'?: boolean | undefined }): Promise<MonitoringNotice | null> {
  if (v['not-informed']) {
    if (v['informed-on'] || v['document-version'] || v['document-sha256'] || v.document) throw new UsageError('--not-informed takes no notice options');
    return null;
  }
  if (!v['informed-on'] || !v['document-version']) throw new UsageError('--informed-on YYYY-MM-DD and --document-version V are needed (or --not-informed)');
  if ((v['document-sha256'] === undefined) === (v.document === undefined)) throw new UsageError('give exactly one of --document FILE (hashed here) or --document-sha256 HEX');
  const documentSha256 = v.document !== undefined ? createHash('sha256').update(await readFile(v.document)).digest('hex') : v['document-sha256']!;
  return { informedOn: v['informed-on'], documentVersion: v['document-version'], documentSha256 };
}

export const agentsSet: Command = {
  name: 'agents set',
  summary: "create or replace an agent: interfaces, notice language, and when they were informed of call monitoring with which document (DPO token; recorded in the ledger)",
  usage:
    'consentline agents set AGENT-ID --interface PJSIP/100 [--interface …] [--language pl]\n' +
    '       (--informed-on YYYY-MM-DD --document-version V (--document FILE | --document-sha256 HEX) | --not-informed)\n' +
    '       [--token t] [--json] [--config file] [--db path|url]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: [...argv], options: SET_OPTIONS, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('one agent id is needed');
    if (!values.interface?.length) throw new UsageError('--interface is needed (one or more)');
    const notice = await noticeOf(values);
    return asDpo(values, io, async (t, actor) => {
      const out = await t.registry.set({ agentId: positionals[0]!, interfaces: values.interface!, language: values.language ?? t.registry.defaultLanguage, notice }, actor);
      if (out.status === 'invalid') {
        io.err(out.problem);
        return EXIT.usage;
      }
      if (out.status === 'interface_taken') {
        io.err(`interface ${out.interface} belongs to agent ${out.agentId}`);
        return EXIT.failed;
      }
      if (!values.json) io.out(`${out.status}:`);
      print(out.agent, t, io, values.json === true);
      return EXIT.ok;
    });
  },
};

export const agentsRemove: Command = {
  name: 'agents remove',
  summary: 'remove an agent from the registry (DPO token; recorded in the ledger): calls bridged to their interfaces are then not recorded',
  usage: 'consentline agents remove AGENT-ID [--token t] [--config file] [--db path|url]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...TOOL_OPTIONS, token: { type: 'string' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('one agent id is needed');
    return asDpo(values, io, async (t, actor) => {
      if (!(await t.registry.remove(positionals[0]!, actor))) {
        io.err(`no agent ${positionals[0]}`);
        return EXIT.failed;
      }
      io.out(`removed ${positionals[0]}`);
      return EXIT.ok;
    });
  },
};

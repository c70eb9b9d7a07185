import { parseArgs } from 'node:util';
import { normalizeCallerId } from '../../evidence/subject.js';
import type { MirrorReport } from '../../retention/hold-mirror.js';
import { UnknownHoldTargetError } from '../../retention/hold-errors.js';
import type { HoldTarget, HoldView } from '../../retention/service.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { dpoFromToken, openRetentionTool, TOOL_OPTIONS } from './retention.js';

function describeHold(h: HoldView): string {
  const what = h.scope === 'call' ? `call ${h.callId}` : h.scope === 'flow' ? `flow ${h.flowId}` : 'a caller';
  const state = !h.active
    ? `released ${h.released?.at} (asked by ${h.releaseRequested?.name}, approved by ${h.released?.name})`
    : h.releaseRequested
      ? `active, release asked by ${h.releaseRequested.name}: waiting for a second DPO`
      : 'active';
  return `${h.id}  ${what}  set ${h.setAt} by ${h.setBy.name}  "${h.reason}"  ${state}`;
}

export const holdSet: Command = {
  name: 'hold set',
  summary: 'set a legal hold on a call, a caller (by number) or a flow; held items are never deleted until released',
  usage: 'consentline hold set (--call id | --caller number | --flow id) --reason text [--token t] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...TOOL_OPTIONS, call: { type: 'string' }, caller: { type: 'string' }, flow: { type: 'string' }, reason: { type: 'string' }, token: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const given = [values.call, values.caller, values.flow].filter((v) => v !== undefined);
    if (given.length !== 1) throw new UsageError('give exactly one of --call, --caller, --flow');
    if (!values.reason) throw new UsageError('--reason is required');
    const tool = await openRetentionTool(values, io);
    try {
      const by = await dpoFromToken(tool.tokens, values.token, io);
      if (!by) return EXIT.failed;
      let target: HoldTarget;
      if (values.caller !== undefined) {
        const e164 = normalizeCallerId(values.caller, tool.config.service.defaultCountryCode);
        if (!e164) throw new UsageError('--caller is not a phone number');
        target = { scope: 'caller', e164 };
      } else target = values.call !== undefined ? { scope: 'call', callId: values.call } : { scope: 'flow', flowId: values.flow! };
      const h = await tool.service.setHold(target, values.reason, by).catch((err: unknown) => {
        if (err instanceof UnknownHoldTargetError) return null;
        throw err;
      });
      if (!h) {
        io.err(`no call ${values.call} in the evidence: nothing was held`);
        return EXIT.failed;
      }
      io.out(values.json ? JSON.stringify(h) : `hold set: ${describeHold(h)}`);
      reportMirror(io, await tool.service.mirrorHolds());
      return EXIT.ok;
    } finally {
      await tool.close();
    }
  },
};

export const holdList: Command = {
  name: 'hold list',
  summary: 'list legal holds (--active: only those in force)',
  usage: 'consentline hold list [--active] [--json] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...TOOL_OPTIONS, active: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const tool = await openRetentionTool(values, io);
    try {
      const holds = await tool.service.holds({ active: values.active === true });
      if (values.json) io.out(JSON.stringify(holds));
      else if (holds.length === 0) io.out('no holds');
      else for (const h of holds) io.out(describeHold(h));
      return EXIT.ok;
    } finally {
      await tool.close();
    }
  },
};

export const holdRelease: Command = {
  name: 'hold release',
  summary: 'ask for, or approve, the release of a legal hold: the DPO tokens of two different persons are needed (four eyes)',
  usage: 'consentline hold release <hold-id> [--reason text] [--token t] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...TOOL_OPTIONS, reason: { type: 'string' }, token: { type: 'string' } }, allowPositionals: true, strict: true });
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length) throw new UsageError('expected one hold id');
    const tool = await openRetentionTool(values, io);
    try {
      const by = await dpoFromToken(tool.tokens, values.token, io);
      if (!by) return EXIT.failed;
      const r = await tool.service.releaseHold(id, by, values.reason ?? null);
      switch (r.status) {
        case 'requested':
          io.out(`release requested by ${by.tokenName}; a DPO token of another person must approve: consentline hold release ${id} --token <other>`);
          return EXIT.ok;
        case 'released':
          io.out(`released: ${describeHold(r.hold)} (ledger seq ${r.seq})`);
          reportMirror(io, await tool.service.mirrorHolds());
          return EXIT.ok;
        case 'same_person':
          io.err(`refused: the release was asked for by ${r.person}, the holder of this token; a different DPO token, of another person, must approve it (four eyes)`);
          return EXIT.failed;
        case 'not_active':
          io.err(`the hold is already released: ${describeHold(r.hold)}`);
          return EXIT.failed;
        case 'not_found':
          io.err(`no hold ${id}`);
          return EXIT.failed;
      }
    } finally {
      await tool.close();
    }
  },
};

/** What copying the holds onto the stored objects' S3 legal hold did (nothing to say without Object Lock). */
function reportMirror(io: CliIo, r: MirrorReport | null): void {
  if (!r) return;
  if (r.failed) io.err(`the stored objects' legal hold is not updated yet (${r.failed}); the next sweep tries again`);
  else if (r.set + r.cleared > 0) io.err(`stored objects' legal hold: ${r.set} set, ${r.cleared} cleared`);
}

import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { AccessLog } from '../../evidence/access-log.js';
import { normalizeCallerId } from '../../evidence/subject.js';
import { accessSummaryMarkdown } from '../../retention/access.js';
import { EXIT, UsageError, type Command, type ExitCode } from '../command.js';
import { progressReporter } from '../progress.js';
import { dpoFromToken, openRetentionTool, TOOL_OPTIONS } from './retention.js';

export const subjectErase: Command = {
  name: 'subject erase',
  summary: "erasure request (Art. 17): delete a caller's recordings and number, keep held calls; writes a signed erasure certificate",
  usage: 'consentline subject erase <number> [--out certificate.json] [--reason text] [--token t] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...TOOL_OPTIONS, out: { type: 'string' }, reason: { type: 'string' }, token: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const [number, ...extra] = positionals;
    if (number === undefined || extra.length) throw new UsageError('expected one caller number');
    const tool = await openRetentionTool(values, io);
    try {
      const e164 = normalizeCallerId(number, tool.config.service.defaultCountryCode);
      if (!e164) throw new UsageError('not a phone number');
      const by = await dpoFromToken(tool.tokens, values.token, io);
      if (!by) return EXIT.failed;
      const r = await tool.service.erase(e164, by, values.reason);
      if (r.status === 'busy') {
        io.err('a retention run holds the lease; try again in a minute');
        return EXIT.failed;
      }
      const c = r.certificate;
      const text = `${JSON.stringify(c, null, 2)}\n`;
      if (values.out) writeFileSync(resolve(values.out), text, { flag: 'wx', mode: 0o600 });
      else io.out(text.trimEnd());
      io.err(
        `erased ${c.erased.callIds.length} call(s), ${c.erased.recordingIds.length} recording(s); held ${c.notErased.heldCallIds.length}, locked ${c.notErased.locked.length}, pending ${c.notErased.pending.length}; ledger seq ${c.ledger.seq}`,
      );
      for (const l of c.notErased.locked) io.err(`locked: ${l.recordingId} until ${l.retainUntil ?? '?'} (${l.detail})`);
      return EXIT.ok;
    } finally {
      await tool.close();
    }
  },
};

export const subjectAccess: Command = {
  name: 'subject access',
  summary: "access request (Art. 15): export a caller's calls, notices heard, consents and recordings as JSON + a pl/en summary (--recordings: decrypted copies)",
  usage: 'consentline subject access <number> --out dir [--lang pl|en] [--recordings] [--reason text] [--token t] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...TOOL_OPTIONS, out: { type: 'string' }, lang: { type: 'string' }, recordings: { type: 'boolean' }, reason: { type: 'string' }, token: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const [number, ...extra] = positionals;
    if (number === undefined || extra.length) throw new UsageError('expected one caller number');
    if (!values.out) throw new UsageError('--out dir is required');
    const lang = values.lang ?? 'pl';
    if (lang !== 'pl' && lang !== 'en') throw new UsageError('--lang must be pl or en');
    const tool = await openRetentionTool(values, io);
    try {
      const e164 = normalizeCallerId(number, tool.config.service.defaultCountryCode);
      if (!e164) throw new UsageError('not a phone number');
      const by = await dpoFromToken(tool.tokens, values.token, io);
      if (!by) return EXIT.failed;
      const callIds = await tool.service.accessCalls(e164);
      await new AccessLog(tool.evidence).record({ who: by, route: 'CLI subject access', callIds, criteria: ['callerNumber'], ...(values.reason ? { reason: values.reason } : {}) });
      const x = await tool.service.accessExport(e164, lang);
      const dir = resolve(values.out);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, 'export.json'), `${JSON.stringify(x, null, 2)}\n`, { mode: 0o600 });
      writeFileSync(join(dir, `summary.${lang}.md`), accessSummaryMarkdown(x), { mode: 0o600 });
      let copies = 0;
      if (values.recordings) {
        const progress = progressReporter(io, { label: 'decrypting recordings', total: x.calls.reduce((n, c) => n + c.recordings.length, 0), json: values.json === true });
        let seen = 0;
        for (const call of x.calls) {
          for (const rec of call.recordings) {
            progress.update(seen++);
            const copy = await tool.service.recordingCopy(e164, rec.recordingId);
            if (copy.status === 'no_key') {
              io.err('error NO_DECRYPT_KEY: this host holds no decrypting key; the export lists the recordings without copies');
              break;
            }
            if (copy.status !== 'ok') continue;
            const out = join(dir, `${rec.recordingId}.wav`);
            if (existsSync(out)) continue;
            try {
              await pipeline(copy.stream, createWriteStream(`${out}.part`, { flags: 'wx', mode: 0o600 }));
              await rename(`${out}.part`, out);
              copies++;
            } catch (err) {
              await rm(`${out}.part`, { force: true });
              io.err(`recording ${rec.recordingId}: ${(err as Error).message}`);
            }
          }
        }
        progress.update(seen);
        progress.finish();
      }
      io.out(`wrote ${dir}: export.json, summary.${lang}.md${values.recordings ? `, ${copies} decrypted recording(s)` : ''} (${x.calls.length} call(s))`);
      return EXIT.ok;
    } finally {
      await tool.close();
    }
  },
};

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { roleAllows, type TokenStore } from '../../api/tokens.js';
import type { Accessor } from '../../evidence/access-log.js';
import { AccessLog } from '../../evidence/access-log.js';
import { lookupMarketing, MAX_LOOKUP_NUMBERS, type MarketingAnswer } from '../../evidence/marketing-lookup.js';
import { openReadSide } from '../../db/engine.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { csvLine, parseCsv } from '../csv.js';
import { configuredDbTarget, DB_OPTION, dbTargetFromArgs } from '../open-store.js';
import { recordingToolConfig } from '../tool-config.js';
import { lookupPepper, TOOL_OPTIONS } from './retention.js';
import { openRetentionDatabase } from './retention-db.js';

/** The columns a campaign list gains, after its own. */
export const STATE_COLUMNS = ['marketing_state', 'marketing_since', 'marketing_controller', 'marketing_channels', 'marketing_text_version', 'marketing_how', 'marketing_evidence_seq', 'marketing_evidence_call', 'marketing_problem'];
const NUMBER_HEADERS = ['number', 'phone', 'msisdn', 'e164', 'telefon', 'numer'];

function stateCells(a: MarketingAnswer): (string | number | null)[] {
  return [a.state, a.since ?? null, a.controller ?? null, a.channels ? a.channels.join(' ') : null, a.textVersion ?? null, a.how ?? null, a.evidence?.seq ?? null, a.evidence?.callId ?? null, a.problem ?? null];
}

/** A `dialer` (or dpo, admin) token from --token or $CONSENTLINE_TOKEN: the look-up is logged under it. */
async function dialerFromToken(tokens: TokenStore, token: string | undefined, io: CliIo): Promise<Accessor | null> {
  const t = token ?? io.env.CONSENTLINE_TOKEN;
  if (!t) throw new UsageError('a token is needed: --token or CONSENTLINE_TOKEN (create one with `consentline token create --role dialer --name NAME`)');
  const info = await tokens.authenticate(t);
  if (!info) {
    io.err('the token is unknown or revoked');
    return null;
  }
  if (!roleAllows(info.role, 'dialer')) {
    io.err(`the token's role (${info.role}) may not do that: dialer or dpo needed`);
    return null;
  }
  return { tokenId: info.id, tokenName: info.name, role: info.role };
}

/** The campaign list: its rows and which column holds the numbers. */
function readCampaign(file: string, column: string | undefined): { header: string[]; rows: string[][]; index: number } {
  let parsed: string[][];
  try {
    parsed = parseCsv(readFileSync(resolve(file), 'utf8'));
  } catch (err) {
    throw new UsageError(`--csv ${file}: ${(err as Error).message}`);
  }
  const [header, ...rows] = parsed;
  if (!header) throw new UsageError(`--csv ${file}: the file is empty`);
  const lower = header.map((h) => h.trim().toLowerCase());
  const index = column !== undefined ? lower.indexOf(column.trim().toLowerCase()) : Math.max(0, lower.findIndex((h) => NUMBER_HEADERS.includes(h)));
  if (index < 0) throw new UsageError(`--csv ${file}: no column named ${JSON.stringify(column)}`);
  return { header, rows, index };
}

export const marketingLookup: Command = {
  name: 'marketing lookup',
  summary: 'marketing consent per number (given, withdrawn, none) for a dialer; --csv: a campaign list in, the list with state columns out',
  usage:
    'consentline marketing lookup <number>... | --csv campaign.csv [--column name] [--out file] --purpose text [--json] [--token t] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...TOOL_OPTIONS, csv: { type: 'string' }, column: { type: 'string' }, out: { type: 'string' }, purpose: { type: 'string' }, token: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if ((values.csv === undefined) === (positionals.length === 0)) throw new UsageError('give numbers as arguments or one --csv file, not both');
    if (values.csv === undefined && (values.column !== undefined || values.out !== undefined)) throw new UsageError('--column and --out go with --csv');
    const purpose = values.purpose?.trim();
    if (!purpose || purpose.length > 200) throw new UsageError('--purpose is required (1-200 characters): why the numbers are looked up, e.g. the campaign');
    const campaign = values.csv === undefined ? null : readCampaign(values.csv, values.column);
    const numbers = campaign ? campaign.rows.map((r) => r[campaign.index] ?? '') : positionals;
    const config = recordingToolConfig(values, io);
    const pepper = lookupPepper(config, resolve(config.service.dataDir));
    const target = configuredDbTarget(values, config);
    const database = await openRetentionDatabase(target);
    const side = await openReadSide(target, { mustExist: true, poolSize: 2 }).catch(async (err: unknown) => {
      await database.close();
      throw err;
    });
    try {
      const by = await dialerFromToken(database.tokens, values.token, io);
      if (!by) return EXIT.failed;
      // Logged before anything is answered: the count, the token, the purpose, never the numbers.
      await new AccessLog(database.evidence).record({ who: by, route: 'CLI marketing lookup', callIds: [], criteria: ['numbers'], count: numbers.length, purpose });
      const answers: MarketingAnswer[] = [];
      for (let i = 0; i < numbers.length; i += MAX_LOOKUP_NUMBERS) {
        answers.push(...(await lookupMarketing(side.marketing, numbers.slice(i, i + MAX_LOOKUP_NUMBERS), { pepper, defaultCountryCode: config.service.defaultCountryCode })));
      }
      const counts = { given: 0, withdrawn: 0, none: 0 };
      for (const a of answers) counts[a.state] += 1;
      if (campaign) {
        const lines = [csvLine([...campaign.header, ...STATE_COLUMNS]), ...campaign.rows.map((r, i) => csvLine([...r, ...stateCells(answers[i]!)]))];
        if (values.out) writeFileSync(resolve(values.out), `${lines.join('\r\n')}\r\n`, { flag: 'wx', mode: 0o600 });
        else for (const l of lines) io.out(l);
      } else if (values.json) {
        io.out(JSON.stringify({ results: answers }));
      } else {
        for (const a of answers) io.out([a.number, a.state, a.since ?? '-', a.channels?.join('+') ?? '-', a.evidence ? `seq ${a.evidence.seq}${a.evidence.callId ? ` call ${a.evidence.callId}` : ''}` : '-', a.problem ?? ''].join('\t').trimEnd());
      }
      io.err(`${answers.length} number(s): ${counts.given} given, ${counts.withdrawn} withdrawn, ${counts.none} none`);
      return EXIT.ok;
    } finally {
      await side.close();
      await database.close();
    }
  },
};

export const marketingRebuild: Command = {
  name: 'marketing rebuild',
  summary: 'derive the marketing consent registry again from the ledger (--check: only compare; exit 1 when the registry differs)',
  usage: 'consentline marketing rebuild [--check] [--json] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...DB_OPTION, check: { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const side = await openReadSide(dbTargetFromArgs(values, io.env), { mustExist: true, poolSize: 2 });
    try {
      if (values.check) {
        const r = await side.marketing.check();
        if (values.json) io.out(JSON.stringify({ ok: r.differences.length === 0, ...r }));
        else {
          for (const d of r.differences) io.out(`${d.problem}: ${d.key}…${d.fields ? ` (${d.fields.join(', ')})` : ''}`);
          io.out(r.differences.length ? `registry DIFFERS from the ledger: ${r.differences.length} entr(ies) of ${r.entries}` : `registry matches the ledger: ${r.entries} entr(ies)`);
        }
        return r.differences.length ? EXIT.failed : EXIT.ok;
      }
      const r = await side.marketing.rebuild();
      if (values.json) io.out(JSON.stringify(r));
      else io.out(`registry rebuilt from the ledger: ${r.entries} entr(ies); ${r.replacedDifferences} differed before`);
      return EXIT.ok;
    } finally {
      await side.close();
    }
  },
};

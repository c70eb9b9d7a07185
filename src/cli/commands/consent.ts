import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeCallerId } from '../../evidence/subject.js';
import { systemClock } from '../../shared/clock.js';
import { ConsentWithdrawals, WITHDRAWAL_CHANNELS, WITHDRAWN_CONSENTS } from '../../retention/withdrawal.js';
import { EXIT, UsageError, type Command, type ExitCode } from '../command.js';
import { configuredDbTarget } from '../open-store.js';
import { recordingToolConfig } from '../tool-config.js';
import { dpoFromToken, lookupPepper, TOOL_OPTIONS } from './retention.js';
import { openRetentionDatabase } from './retention-db.js';

const oneOf = <T extends string>(value: string | undefined, allowed: readonly T[], option: string): T => {
  if (value === undefined || !(allowed as readonly string[]).includes(value)) throw new UsageError(`${option} must be one of ${allowed.join(', ')}`);
  return value as T;
};

export const consentWithdraw: Command = {
  name: 'consent withdraw',
  summary: 'record a consent withdrawal received by letter or e-mail (marketing: the registry changes at once; recording: opens an erasure request for the recordings made on consent)',
  usage: 'consentline consent withdraw --number N --consent marketing|recording --channel letter|email --reference REF [--json] [--token t] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...TOOL_OPTIONS, number: { type: 'string' }, consent: { type: 'string' }, channel: { type: 'string' }, reference: { type: 'string' }, token: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const consent = oneOf(values.consent, WITHDRAWN_CONSENTS, '--consent');
    const channel = oneOf(values.channel, WITHDRAWAL_CHANNELS, '--channel');
    const reference = values.reference?.trim();
    if (!reference || reference.length > 200 || /[\p{Cc}\p{Cs}]/u.test(reference)) throw new UsageError('--reference is required: 1-200 printable characters (the letter or e-mail reference)');
    if (values.number === undefined) throw new UsageError('--number is required');
    const config = recordingToolConfig(values, io);
    const e164 = normalizeCallerId(values.number, config.service.defaultCountryCode);
    if (!e164) throw new UsageError('--number is not a phone number');
    const pepper = lookupPepper(config, resolve(config.service.dataDir));
    const database = await openRetentionDatabase(configuredDbTarget(values, config));
    try {
      const by = await dpoFromToken(database.tokens, values.token, io);
      if (!by) return EXIT.failed;
      const withdrawals = new ConsentWithdrawals({ repo: database.repo, evidence: database.evidence, pepper, clock: systemClock });
      const r = await withdrawals.record({ e164, consent, channel, reference, by });
      if (values.json) {
        io.out(JSON.stringify(r));
        return EXIT.ok;
      }
      io.out(`${consent} consent withdrawn (${channel} ${reference}): ledger seq ${r.seq} at ${r.at}`);
      const x = r.recordings;
      if (x) {
        io.out(x.erasureRequestId ? `erasure request ${x.erasureRequestId}: ${x.toErase.length} recording(s) made on consent, deleted by the next retention run` : 'no recordings made on consent to erase');
        for (const id of x.objection) io.out(`objection (Art. 21), kept on legitimate interest until the DPO decides: recording ${id}`);
        for (const id of x.heldCalls) io.out(`held call, its recordings stay until the hold is released: ${id}`);
      }
      return EXIT.ok;
    } finally {
      await database.close();
    }
  },
};

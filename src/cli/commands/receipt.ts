import { parseArgs } from 'node:util';
import { buildIso27560Record } from '../../evidence/receipt-iso27560.js';
import { buildConsentReceipt, completeController } from '../../evidence/receipt.js';
import { EXIT, UsageError, type Command, type ExitCode } from '../command.js';
import { configuredDbTarget, openStoreAt } from '../open-store.js';
import { recordingToolConfig } from '../tool-config.js';

const FORMATS = ['kantara', 'iso27560'] as const;

/** The consent receipt of one call as JSON, as GET /calls/:callId/receipt gives it (docs/consent-receipts.md). */
export const receipt: Command = {
  name: 'receipt',
  summary: "print one call's consent receipt as JSON: Kantara CR v1.1 (default) or an ISO/IEC TS 27560-shaped record",
  usage: `consentline receipt <call-id> [--format ${FORMATS.join('|')}] [--config file] [--db path|url]`,
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { format: { type: 'string', default: 'kantara' }, config: { type: 'string' }, db: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const [callId, ...extra] = positionals;
    if (callId === undefined || extra.length > 0) throw new UsageError('expected exactly one call id');
    if (!(FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    const config = recordingToolConfig(values, io);
    const complete = completeController(config.controller);
    if (!complete.ok) {
      io.err(`set ${complete.missing.join(', ')} in the configuration to issue receipts`);
      return EXIT.failed;
    }
    const store = await openStoreAt(configuredDbTarget(values, config));
    try {
      const [call, events] = await Promise.all([store.getCall(callId), store.callEvents(callId)]);
      const build = values.format === 'iso27560' ? buildIso27560Record : buildConsentReceipt;
      const out = build(callId, events, call, complete.controller);
      if (!out) {
        io.err(`no call.started evidence for call ${callId}`);
        return EXIT.failed;
      }
      io.out(JSON.stringify(out, null, 2));
      return EXIT.ok;
    } finally {
      await store.close();
    }
  },
};

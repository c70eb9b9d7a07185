import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import { missingPrompts } from '../../config/prompt-check.js';
import { loadPromptCatalog } from '../../prompts/manifest.js';
import { describeRouteCheck } from '../../telephony/route-check.js';
import { checkRoutesLive } from '../../telephony/route-monitor.js';
import { EXIT, UsageError, type Command, type ExitCode } from '../command.js';

/** The start-up checks without starting: schema, cross-references, prompts on disk. */
export const checkConfig: Command = {
  name: 'check-config',
  summary: 'validate a configuration file (and the prompts it needs) without starting; --live: also look every route up in the running dialplan over AMI',
  usage: 'consentline check-config [file] [--live]   (default: $CONSENTLINE_CONFIG or ./consentline.yaml)',
  async run(argv, io): Promise<ExitCode> {
    const parsed = parseArgs({ args: [...argv], options: { live: { type: 'boolean' } }, allowPositionals: true, strict: true });
    const args = parsed.positionals;
    if (args.length > 1) throw new UsageError('at most one file');
    const loaded = loadConfig({ ...(args[0] === undefined ? {} : { path: args[0] }), env: io.env });
    const where = loaded.source.kind === 'file' ? loaded.source.path : 'built-in defaults (no config file found)';
    if (!loaded.ok) {
      io.err(`${where}: ${loaded.problems.length} problem(s):`);
      for (const problem of loaded.problems) io.err(`  - ${problem}`);
      return EXIT.config;
    }
    let problems: string[];
    try {
      problems = missingPrompts(loaded.config, await loadPromptCatalog(resolve(loaded.config.prompts.dir)));
    } catch (err) {
      problems = [`prompts.dir: ${(err as Error).message}`];
    }
    if (problems.length) {
      io.err(`${where}: ${problems.length} problem(s):`);
      for (const problem of problems) io.err(`  - ${problem}`);
      return EXIT.config;
    }
    const { flows, routes } = loaded.config;
    io.out(`${where}: OK — ${flows.length} flow(s) (${flows.map((f) => `${f.id}: ${f.withdrawal?.dedicated ? 'withdrawal line' : f.legalBasis}`).join(', ')}), ${Object.keys(routes).length} route(s)`);
    if (!parsed.values.live) return EXIT.ok;
    // Missing routes are a configuration problem (78); a check that could not run is a failure (1).
    const live = await checkRoutesLive(loaded.config);
    if (live.status === 'checked' && !live.missing.length) io.out(describeRouteCheck(live));
    else io.err(describeRouteCheck(live));
    return live.status === 'unchecked' ? EXIT.failed : live.missing.length ? EXIT.config : EXIT.ok;
  },
};

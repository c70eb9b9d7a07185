import { loadConfig } from './config/load.js';
import { loadPromptCatalog } from './prompts/manifest.js';
import { StartupError, startService } from './server.js';
import { createLogger } from './shared/log.js';
import { realAri } from './main-ari.js';

/** EX_CONFIG from sysexits.h: the configuration is wrong; a restart will not help. */
const EXIT_CONFIG = 78;

async function main(): Promise<void> {
  const loaded = loadConfig();
  if (!loaded.ok) {
    const where = loaded.source.kind === 'file' ? loaded.source.path : 'built-in defaults';
    process.stderr.write(`consentline: configuration ${where} is not valid:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(EXIT_CONFIG);
  }
  const { config, source } = loaded;
  const log = createLogger({ level: config.service.logLevel, format: config.service.logFormat });
  log.info({ config: source.kind === 'file' ? source.path : 'built-in defaults (no consentline.yaml)' }, 'configuration loaded');
  if (!config.ari.password) log.warn('ari.password is empty: set CONSENTLINE_ARI_PASSWORD for a real Asterisk');

  let service;
  try {
    service = await startService({ config, log, createAri: realAri, loadPrompts: (dir) => loadPromptCatalog(dir) });
  } catch (err) {
    if (err instanceof StartupError || (err as { code?: unknown }).code) {
      process.stderr.write(`consentline: cannot start:\n${String((err as Error).message).split('\n').map((l) => `  - ${l}`).join('\n')}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: live calls go on to their fallback route');
    service
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`consentline: fatal: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});

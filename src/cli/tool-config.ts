import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ConfigError, type CliIo } from './command.js';
import { engineFromArgs } from './open-store.js';

/**
 * The configuration a recording, retention, hold or subject command works with: --config, else
 * $CONSENTLINE_CONFIG / ./consentline.yaml / built-in. Throws {@link ConfigError} (exit 78) when
 * it is not valid.
 *
 * A `--db` SQLite file brings its data directory along (keys, pepper, the local object store live
 * beside the database in the service's layout): used when no configuration file or
 * CONSENTLINE_DATA_DIR says otherwise, or when the file's directory holds a `secrets/` of its own.
 * Without this, `--db` of another install (the demo's) read that install's rows but looked for
 * their objects and keys under ./data.
 */
export function recordingToolConfig(values: { config?: string | undefined; db?: string | undefined }, io: CliIo): Config {
  const loaded = loadConfig({ ...(values.config === undefined ? {} : { path: values.config }), env: io.env });
  if (!loaded.ok) throw new ConfigError('configuration is not valid:', loaded.problems);
  const dataDir = dataDirOfDb(values.db, loaded.source.kind === 'file', io);
  if (dataDir === null || dataDir === resolve(loaded.config.service.dataDir)) return loaded.config;
  io.err(`data directory: ${dataDir} (beside --db)`);
  return { ...loaded.config, service: { ...loaded.config.service, dataDir } };
}

function dataDirOfDb(db: string | undefined, fromFile: boolean, io: CliIo): string | null {
  if (db === undefined || io.env.CONSENTLINE_DATA_DIR !== undefined) return null;
  const { file } = engineFromArgs({ db }, {});
  if (file === undefined || !existsSync(file)) return null;
  const dir = dirname(resolve(file));
  return !fromFile || existsSync(join(dir, 'secrets')) ? dir : null;
}

import type { TokenStore } from '../api/tokens.js';
import type { ConsoleSessionStore } from '../console/sessions.js';
import type { AssuranceRepo } from '../assurance/repo.js';
import type { AssuranceLedger } from '../evidence/assurance-ledger.js';
import type { AgentRepo } from '../joiners/repo.js';
import type { ReadSide } from '../evidence/open-read-side.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { RecordingRepository } from '../recordings/pipeline/repo.js';
import type { RetentionRepo } from '../retention/repo.js';

/**
 * Every table the service uses, on one engine (src/db/engine-sqlite.ts, engine-pg.ts build it):
 * the ports the services receive. Nothing here says which engine it is.
 */
export interface ServiceDatabase {
  /** The engine's name, for the start-up log only. */
  readonly engine: string;
  /** The file path or the URL without its password, for logs. */
  readonly description: string;
  readonly store: EvidenceStore;
  readonly tokens: TokenStore;
  /** The console's browser sessions, beside the tokens they were exchanged for. */
  readonly consoleSessions: ConsoleSessionStore;
  readonly readSide: ReadSide;
  /** The recordings table as the pipeline uses it. */
  readonly recordings: RecordingRepository;
  /** The recordings table as the API reads it. */
  readonly recordingsRead: RecordingRepository;
  readonly retention: RetentionRepo;
  /** Recording assurance's tables and its questions to the ledger. */
  readonly assurance: { readonly repo: AssuranceRepo; readonly ledger: AssuranceLedger };
  /** The agents registry (employees' monitoring notices). */
  readonly agents: AgentRepo;
  /** Closes everything, the store last. */
  close(): Promise<void>;
}

/** The service's stores other than the evidence store, which `assembleServiceDatabase` adds. */
export type ServiceStores = Omit<ServiceDatabase, 'store' | 'close'>;

/**
 * Builds the rest of the service's stores around an opened evidence store: `build` registers a
 * closer for each connection it opens; on failure they are closed (in reverse) and the store last.
 */
export async function assembleServiceDatabase(
  store: EvidenceStore,
  build: (onClose: (close: () => Promise<void>) => void) => Promise<ServiceStores>,
): Promise<ServiceDatabase> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
    await store.close();
  };
  try {
    return { ...(await build((c) => closers.push(c))), store, close };
  } catch (err) {
    await close();
    throw err;
  }
}

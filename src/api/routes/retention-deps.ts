import type { AccessLog } from '../../evidence/access-log.js';
import type { RetentionService } from '../../retention/service.js';

/** What the retention, hold and data-subject routes need; the composition root builds it once. */
export interface RetentionApiDeps {
  readonly retention: RetentionService;
  /** Reads of personal data (access requests) go into the ledger first. */
  readonly access: AccessLog;
  /** For normalising national caller numbers to E.164. */
  readonly defaultCountryCode: string;
}

import { roleAllows } from '../../api/tokens.js';
import type { ApiInstance } from '../../api/types.js';
import { registerMessages } from '../i18n.js';
import { addNavEntry } from '../layout.js';
import { DPO_MESSAGES } from '../messages-dpo.js';
import { SUBJECT_MESSAGES } from '../messages-subjects.js';
import { holdPages } from './holds.js';
import { retentionPages } from './retention.js';
import { subjectPages } from './subjects.js';

registerMessages(DPO_MESSAGES);
registerMessages(SUBJECT_MESSAGES);
for (const [href, key] of [
  ['/console/holds', 'nav.holds'],
  ['/console/subjects', 'nav.subjects'],
  ['/console/retention', 'nav.retention'],
] as const) {
  addNavEntry({ href, key, show: (ctx) => ctx.principal !== null && roleAllows(ctx.principal.role, 'dpo') });
}

/**
 * The DPO's pages (role dpo, as the API routes they read): legal holds with the four-eyes
 * release, data-subject requests (erasure with its certificate, access exports, withdrawals
 * received on paper) and retention. Every change is a POST form with the session's CSRF token.
 */
export function dpoPages(app: ApiInstance): void {
  holdPages(app);
  subjectPages(app);
  retentionPages(app);
}

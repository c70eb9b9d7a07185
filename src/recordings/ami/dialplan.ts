import type { AmiSession } from './port.js';

/** Whether the running dialplan has `extension@context`, as AMI ShowDialPlan answers. */
export type DialplanAnswer = { readonly status: 'present' } | { readonly status: 'missing' } | { readonly status: 'unknown'; readonly reason: string };

/**
 * Asks the running dialplan for one extension (AMI ShowDialPlan with Context and Extension:
 * pattern extensions and included contexts count, as Asterisk matches them). The action needs
 * the `reporting` (or `config`) write class; read classes do not matter for an action's answer.
 */
export async function dialplanHas(session: Pick<AmiSession, 'action'>, context: string, extension: string, timeoutMs = 5_000): Promise<DialplanAnswer> {
  const r = await session.action({ Action: 'ShowDialPlan', Context: context, Extension: extension }, timeoutMs);
  if (r.status === 'success') return { status: 'present' };
  if (r.status === 'error') {
    // pbx.c: "Did not find context X" / "Did not find extension E@X".
    if (/^Did not find (context|extension) /.test(r.message)) return { status: 'missing' };
    return { status: 'unknown', reason: r.message === 'Permission denied' ? 'permission denied: the AMI user needs write = reporting' : r.message };
  }
  return { status: 'unknown', reason: r.status === 'timeout' ? 'AMI did not answer in time' : 'AMI not connected' };
}

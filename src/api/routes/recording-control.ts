import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ControlOutcome, RecordingController, Requester } from '../../recordings/control/port.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { callIdSchema } from './evidence-deps.js';

/** What the pause and resume routes need; the composition root builds it once. */
export interface RecordingControlApiDeps {
  /** Null when recordings or the AMI watcher are off: the routes answer 503. */
  readonly control: RecordingController | null;
  /** Peppers the token's subject into the pseudonym the ledger keeps (never the name). */
  readonly pepper: string;
}

const controlled = z
  .object({
    callId: z.string(),
    state: z.enum(['recording', 'paused', 'stopped']).describe('`stopped`: stopped for the rest of the call (a pause whose mute Asterisk did not confirm)'),
    changed: z.boolean().describe('false when the recording was in that state already'),
    at: z.string().describe('when the state was reached (the ledger event time) or checked'),
  })
  .describe("the call's recording state now");

const ERRORS = [
  [404, 'not_found', 'no such call in the ledger'],
  'not_recording',
  'recording_control_failed',
  [503, 'unavailable', 'recording control needs recordings and the AMI link (recordings.ami.secret)'],
] as const;

/** The pseudonym of a token's subject in the ledger: HMAC-SHA-256(pepper, subject), 32 hex. */
export function subjectPseudonym(pepper: string, subject: string): string {
  return createHmac('sha256', pepper).update(`token-subject\0${subject}`, 'utf8').digest('hex').slice(0, 32);
}

function requester(deps: RecordingControlApiDeps, request: FastifyRequest): Requester {
  const p = request.principal;
  if (!p) throw new ApiError('unauthorized');
  return { source: 'api', tokenId: p.id, role: p.role, subjectRef: subjectPseudonym(deps.pepper, p.subject) };
}

function answer(callId: string, o: ControlOutcome) {
  switch (o.status) {
    case 'done':
      return { callId, state: o.state, changed: o.changed, at: o.at };
    case 'unknown_call':
      throw new ApiError('not_found', 'no such call in the ledger');
    case 'not_recording':
      throw new ApiError('not_recording');
    case 'recording_stopped':
      throw new ApiError('recording_stopped');
    case 'failed':
      throw new ApiError('recording_control_failed', undefined, { detail: o.detail });
  }
}

/**
 * Pause and resume of a live call's recording (PCI DSS: no card data in recordings), for agent
 * desktops and payment IVRs (role `agent-desktop`, which may do nothing else). The service mutes
 * MixMonitor over AMI and answers once Asterisk confirmed it; a mute not confirmed in time stops
 * the recording for the rest of the call (`state: stopped`). Every change is in the ledger.
 */
export function recordingControlRoutes(deps: RecordingControlApiDeps) {
  return async (app: ApiInstance) => {
    const control = () => {
      if (!deps.control) throw new ApiError('unavailable', 'recording control needs recordings and the AMI link (recordings.ami.secret)');
      return deps.control;
    };
    app.post(
      '/calls/:callId/recording/pause',
      {
        config: { role: 'agent-desktop' },
        schema: {
          summary: "Pause a live call's recording (PCI): MixMonitor muted both ways and confirmed by Asterisk, or else stopped for the rest of the call",
          description:
            'Answers once Asterisk confirmed the mute (`state: paused`). When it does not within `recordings.control.confirmTimeoutMs`, ' +
            'the recording is stopped for the rest of the call (`state: stopped`): it is then safe to take card details too. ' +
            '503 `recording_control_failed` means neither could be confirmed: take no card details. Pausing a paused call changes nothing.',
          tags: ['recordings'],
          params: z.strictObject({ callId: callIdSchema }),
          body: z
            .strictObject({ reason: z.string().regex(/^[a-z0-9_.-]{1,64}$/, 'must be a short code like payment_card').optional().describe('why, as a short code (kept in the ledger)') })
            .nullish()
            .describe('optional; a request without a body pauses without a reason'),
          response: { 200: controlled, ...errorResponses(...ERRORS) },
        },
      },
      async (request) => {
        const { callId } = request.params;
        return answer(callId, await control().pause(callId, requester(deps, request), request.body?.reason));
      },
    );

    app.post(
      '/calls/:callId/recording/resume',
      {
        config: { role: 'agent-desktop' },
        schema: {
          summary: "Resume a paused call's recording: MixMonitor unmuted and confirmed by Asterisk",
          description: 'A recording stopped for the rest of the call cannot be resumed (409 `recording_stopped`). When the unmute is not confirmed the recording stays paused (503).',
          tags: ['recordings'],
          params: z.strictObject({ callId: callIdSchema }),
          response: { 200: controlled, ...errorResponses(...ERRORS, 'recording_stopped') },
        },
      },
      async (request) => {
        const { callId } = request.params;
        return answer(callId, await control().resume(callId, requester(deps, request)));
      },
    );
  };
}

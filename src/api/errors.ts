/** The API's error catalogue: stable codes, clear messages, never internals. */
export const API_ERRORS = {
  unauthorized: { status: 401, message: 'a valid bearer token is required' },
  forbidden: { status: 403, message: 'this token’s role may not do that' },
  not_found: { status: 404, message: 'not found' },
  bad_request: { status: 400, message: 'the request is not valid' },
  rate_limited: { status: 429, message: 'too many requests; slow down' },
  // Recording playback (GET /recordings/:recordingId/audio).
  recording_quarantined: { status: 409, message: 'this recording is quarantined: it is kept only until it is deleted and cannot be played' },
  recording_not_stored: { status: 409, message: 'this recording is not stored and verified yet; try again later' },
  no_decrypt_key: { status: 409, message: 'this host holds no decrypting key for recordings; playback happens where the private key is configured' },
  recording_deleted: { status: 410, message: 'this recording has been deleted' },
  range_not_satisfiable: { status: 416, message: 'the requested range is outside the recording' },
  recording_unreadable: { status: 500, message: 'the stored recording failed decryption or authentication; nothing was served' },
  // Consent receipts (GET /calls/:callId/receipt).
  controller_incomplete: { status: 409, message: 'the controller details a standard receipt requires are not configured' },
  // Recording control (POST /calls/:callId/recording/pause|resume).
  not_recording: { status: 409, message: 'no recording of this call is running' },
  recording_stopped: { status: 409, message: 'this recording was stopped for the rest of the call and cannot be resumed' },
  recording_control_failed: { status: 503, message: 'Asterisk confirmed neither the pause nor a stop: treat the call as recorded and take no card details' },
  // Recording assurance (POST /assurance/findings/:findingId/acknowledge).
  finding_not_open: { status: 409, message: 'this finding is not open: it was acknowledged already or resolved by a later run' },
  // Agents registry (PUT /agents/:agentId).
  interface_taken: { status: 409, message: 'an interface belongs to another agent already' },
  unavailable: { status: 503, message: 'a dependency is unavailable' },
  internal: { status: 500, message: 'internal error' },
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message?: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message ?? API_ERRORS[code].message, options);
    this.name = 'ApiError';
  }
  get status(): number {
    return API_ERRORS[this.code].status;
  }
}

/** The API's error catalogue: stable codes, clear messages, never internals. */
export const API_ERRORS = {
  unauthorized: { status: 401, message: 'a valid bearer token is required' },
  forbidden: { status: 403, message: 'this token’s role may not do that' },
  not_found: { status: 404, message: 'not found' },
  bad_request: { status: 400, message: 'the request is not valid' },
  rate_limited: { status: 429, message: 'too many requests; slow down' },
  unavailable: { status: 503, message: 'a dependency is unavailable' },
  internal: { status: 500, message: 'internal error' },
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? API_ERRORS[code].message);
    this.name = 'ApiError';
  }
  get status(): number {
    return API_ERRORS[this.code].status;
  }
}

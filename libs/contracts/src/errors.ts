/**
 * The closed catalogue of domain error codes. HTTP maps each to a status once (libs/http);
 * clients branch on `code`, never on message text. Codes are a public, stable API.
 */
export const ERRORS = {
  VALIDATION: { status: 400, title: 'The request is not valid' },
  FIELD_ORDER: { status: 400, title: 'Multipart fields must come before the file' },
  UNAUTHENTICATED: { status: 401, title: 'A valid bearer token is required' },
  FORBIDDEN: { status: 403, title: 'You may not access this resource' },
  NOT_FOUND: { status: 404, title: 'The resource does not exist' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  CONFLICT: { status: 409, title: 'The request conflicts with the current state' },
  CHUNK_CONFLICT: { status: 409, title: 'This chunk index was already stored with different bytes' },
  UPLOAD_IN_PROGRESS: { status: 409, title: 'This chunk is being uploaded by another request; retry shortly' },
  SESSION_CLOSED: { status: 409, title: 'The session no longer accepts chunks' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The file exceeds the size limit' },
  UNSUPPORTED_MEDIA: { status: 415, title: 'The file is not a supported audio container' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; slow down' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNAVAILABLE: { status: 503, title: 'A dependency is unavailable; retry later' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Thrown by use cases; transports map it (HTTP status, job retry policy). Never carries audio or secrets. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].title,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

/** RFC 7807 problem body. `code` is the stable machine-readable key. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

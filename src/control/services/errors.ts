// Domain errors thrown by the control-plane services; the REST layer maps each to an
// RFC 9457 application/problem+json response using `code` (stable) and `status`.
export const DomainErrorStatus = {
  'not-found': 404,
  conflict: 409,
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'rate-limited': 429,
} as const;
export type DomainErrorCode = keyof typeof DomainErrorStatus;

export type DomainErrorOptions = Readonly<{
  /** the input field at fault, for 'invalid' (e.g. 'name', 'listen.rtmpPort') */
  field?: string;
  /** seconds until a retry can succeed, for 'rate-limited' (Retry-After) */
  retryAfterSec?: number;
}>;

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly status: number;
  readonly field: string | undefined;
  readonly retryAfterSec: number | undefined;
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message);
    this.status = DomainErrorStatus[code];
    this.field = options.field;
    this.retryAfterSec = options.retryAfterSec;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

export const notFound = (what: string): DomainError => new DomainError('not-found', `${what} not found`);
export const conflict = (message: string): DomainError => new DomainError('conflict', message);
export const invalid = (field: string, message: string): DomainError =>
  new DomainError('invalid', message, { field });

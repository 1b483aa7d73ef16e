// The one error type pure protocol code throws on bad bytes; the edge that owns the
// connection catches it, logs one line and closes only that connection.
export const ProtocolErrorCode = {
  Truncated: 'truncated',
  Malformed: 'malformed',
  TooLarge: 'too-large',
  Unsupported: 'unsupported',
  BadState: 'bad-state',
  TooDeep: 'too-deep',
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}

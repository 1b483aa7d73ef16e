// Bun's bind failures say "Failed to listen at 0.0.0.0": neither the port nor which of the
// engine's listeners it was. An operator with a busy port needs all three in one line.
export class ListenError extends Error {
  constructor(
    readonly listener: string,
    readonly host: string,
    readonly port: number,
    reason: string,
  ) {
    super(`${listener} cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${reason}`);
    this.name = 'ListenError';
  }
}

/** Runs a bind; a failure is rethrown as a ListenError naming the listener, address and port. */
export function bindOrExplain<T>(listener: string, host: string, port: number, bind: () => T): T {
  try {
    return bind();
  } catch (err) {
    if (err instanceof ListenError) throw err;
    const code = (err as { code?: unknown }).code;
    const reason = code === 'EADDRINUSE' ? 'the address is in use' : (err as Error).message;
    throw new ListenError(listener, host, port, reason);
  }
}

// Capped exponential backoff with full jitter for relay reconnects: the n-th retry waits a
// random time in [base/2, base] where base = min(max, initial * 2^n), so a fleet of pulls that
// lost the same upstream does not reconnect in lockstep.
// Alike in shape (a Readonly options type) to server/http/hls-http.ts's HlsRequest: declarations only.
export type BackoffOptions = Readonly<{
  initialMs: number;
  maxMs: number;
  /** fraction of the delay that is random (0: none, 1: anywhere in [0, base]); default 0.5 */
  jitter?: number;
  random?: () => number;
}>;

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, jitter: 0.5 };

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next try; each call doubles the base up to the cap. */
  next(): number {
    const { initialMs, maxMs } = this.options;
    const jitter = Math.min(Math.max(this.options.jitter ?? 0.5, 0), 1);
    const random = this.options.random ?? Math.random;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (1 - jitter) + base * jitter * random());
  }

  /** A connection worked: start again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}

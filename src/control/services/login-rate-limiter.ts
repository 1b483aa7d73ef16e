// Failed-login counters per key with exponential backoff, in memory. The auth service keeps two:
// per (client address, username) and per client address. There is deliberately no counter per
// username alone: anyone could then keep `admin` locked out from anywhere.
import type { NowMs } from './types.ts';

const MAX_TRACKED_KEYS = 10_000;

// a constant then an options record: alike in shape only to unrelated files (flv/encode-aac.ts, recorder/vod-library.ts, …)
export type BackoffPolicy = Readonly<{
  /** failures allowed before the first wait */
  freeFailures: number;
  /** the first wait; each further failure doubles it */
  baseDelayMs: number;
  /** the longest wait */
  maxDelayMs: number;
  /** a key with no failure for this long starts again from zero */
  forgetAfterMs: number;
}>;

type Failures = { count: number; lastMs: number };

export class LoginRateLimiter {
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly nowMs: NowMs,
    private readonly policy: BackoffPolicy,
  ) {}

  /** seconds to wait before `key` may try again, or 0 when it may try now */
  retryAfterSec(key: string): number {
    const entry = this.current(key);
    if (!entry) return 0;
    const waitMs = entry.lastMs + this.delayMs(entry.count) - this.nowMs();
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  /** failures counted for `key` now (0 once forgotten) */
  count(key: string): number {
    return this.current(key)?.count ?? 0;
  }

  fail(key: string): void {
    const entry = this.current(key);
    this.failures.delete(key); // re-inserted last: the map's order is least recently failed first
    this.failures.set(key, { count: (entry?.count ?? 0) + 1, lastMs: this.nowMs() });
    if (this.failures.size > MAX_TRACKED_KEYS) this.prune();
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  /** the wait after `count` failures: none while free, then base, 2 x base, 4 x base... up to the maximum */
  private delayMs(count: number): number {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.policy;
    if (count < freeFailures) return 0;
    const doublings = Math.min(count - freeFailures, 30);
    return Math.min(maxDelayMs, baseDelayMs * 2 ** doublings);
  }

  private current(key: string): Failures | undefined {
    const entry = this.failures.get(key);
    if (entry && this.nowMs() - entry.lastMs >= this.policy.forgetAfterMs) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune(): void {
    const now = this.nowMs();
    for (const [key, entry] of this.failures) {
      if (now - entry.lastMs >= this.policy.forgetAfterMs) this.failures.delete(key);
    }
    // still too many live keys: forget the least recent rather than grow without bound
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_TRACKED_KEYS) break;
      this.failures.delete(key);
    }
  }
}

/**
 * The address a per-address limit counts: an IPv4-mapped IPv6 address is its IPv4 address, and
 * an IPv6 address counts as its /64, which one host usually holds whole.
 */
export function addressBucket(address: string): string {
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (mapped) return mapped[1]!;
  if (!lower.includes(':')) return lower;
  const [head = '', tail] = lower.split('::', 2) as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return lower;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

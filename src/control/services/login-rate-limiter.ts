// Failed-login counter per key (client address, username) over a sliding window, in memory.
import type { NowMs } from './types.ts';

const MAX_TRACKED_KEYS = 10_000;

export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly nowMs: NowMs,
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  /** seconds to wait before `key` may try again, or 0 when it may try now */
  retryAfterSec(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.maxFailures) return 0;
    const oldest = recent[recent.length - this.maxFailures] ?? this.nowMs();
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.nowMs()) / 1000));
  }

  fail(key: string): void {
    const recent = this.recent(key);
    recent.push(this.nowMs());
    this.failures.set(key, recent);
    if (this.failures.size > MAX_TRACKED_KEYS) this.prune();
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.nowMs() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }

  private prune(): void {
    const since = this.nowMs() - this.windowMs;
    for (const [key, list] of this.failures) {
      if (!list.some((t) => t > since)) this.failures.delete(key);
    }
    // still too many live keys: forget the oldest entries rather than grow without bound
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_TRACKED_KEYS) break;
      this.failures.delete(key);
    }
  }
}

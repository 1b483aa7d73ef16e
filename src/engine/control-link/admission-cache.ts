// The engine's memory of the config server's admission answers, with two bounds on their age:
//   fresh: reused without asking, for the server's cacheTtlMs (at most maxTtlMs);
//   usable: reused only while the server cannot be asked, until maxStaleMs after the server gave
//     it, or sooner where the answer says so (a signed URL's expiry).
// A new configuration revision (a key revoked, a policy changed) clears it: an answer never
// outlives a change the engine has been told about. The clock is the caller's (pure, testable).
import type { AdmissionDecision } from '../../server/admission.ts';

export type AdmissionCacheOptions = Readonly<{
  /** answers remembered at most; the least recently answered go first */
  maxEntries: number;
  /** an upper bound on the server's cacheTtlMs */
  maxTtlMs: number;
  /** how long after the server gave it an answer may stand in for the server during an outage */
  maxStaleMs: number;
}>;

/** a short fresh life, and ten minutes of fallback: a control-plane restart or upgrade, with margin */
export const DEFAULT_ADMISSION_CACHE: AdmissionCacheOptions = { maxEntries: 10_000, maxTtlMs: 60_000, maxStaleMs: 600_000 };

export type AnswerLifetime = Readonly<{ cacheTtlMs: number; maxAgeMs?: number }>;

type Entry = Readonly<{ decision: AdmissionDecision; freshUntilMs: number; usableUntilMs: number }>;

export class AdmissionCache {
  private readonly entries = new Map<string, Entry>();
  private generationValue = 0;

  constructor(private readonly options: AdmissionCacheOptions = DEFAULT_ADMISSION_CACHE) {}

  /** changes on every clear(); an answer asked for before a clear is not remembered after it */
  get generation(): number {
    return this.generationValue;
  }

  get size(): number {
    return this.entries.size;
  }

  /** the answer to reuse without asking, or null */
  fresh(key: string, nowMs: number): AdmissionDecision | null {
    const entry = this.entries.get(key);
    return entry && entry.freshUntilMs > nowMs ? entry.decision : null;
  }

  /** the answer that may stand in for an unreachable server, or null (none, or too old) */
  usable(key: string, nowMs: number): AdmissionDecision | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.usableUntilMs > nowMs) return entry.decision;
    this.entries.delete(key);
    return null;
  }

  /** remembers an answer received at nowMs, unless the cache was cleared since `generation` */
  remember(key: string, decision: AdmissionDecision, lifetime: AnswerLifetime, nowMs: number, generation: number): boolean {
    if (generation !== this.generationValue) return false;
    const maxAgeMs = Math.min(this.options.maxStaleMs, finiteOr(lifetime.maxAgeMs, Infinity));
    const usableForMs = Math.max(0, maxAgeMs);
    const freshForMs = Math.min(Math.max(finiteOr(lifetime.cacheTtlMs, 0), 0), this.options.maxTtlMs, usableForMs);
    this.entries.delete(key); // re-insert: the map's order is the eviction order
    this.entries.set(key, { decision, freshUntilMs: nowMs + freshForMs, usableUntilMs: nowMs + usableForMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return true;
  }

  /** forgets every answer (a new configuration revision) */
  clear(): void {
    this.entries.clear();
    this.generationValue++;
  }
}

function finiteOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) ? value : fallback;
}

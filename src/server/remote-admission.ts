// Admission by the config server (POST /v1/admission). Answers are cached for the cacheTtlMs
// the server gives, keyed by (action, protocol, app, stream, query), and identical questions
// asked while one is in flight share it: a 1000-viewer surge on one URL is one request.
// When the config server cannot answer, the engine decides alone, in this order:
//   1. the last answer it got for the same key, however old (the server's own judgement);
//   2. the app's policy in the last known configuration, but only where it is 'open' (a
//      policy that needs a key, a signature or a hook cannot be checked without the server);
//   3. otherwise refuse, with reason 'control plane unreachable'.
import type { AdmissionAnswer, AdmissionQuery } from '../shared/config-protocol.ts';
import type { EngineConfig } from '../shared/engine-config.ts';
import type { Logger } from '../shared/logger.ts';
import { isValidName, type Admission, type AdmissionDecision, type AdmissionRequest } from './admission.ts';

export const UNREACHABLE_REASON = 'control plane unreachable';

export type RemoteAdmissionOptions = Readonly<{
  /** POST /v1/admission; resolves with the raw answer, throws when there is none */
  ask: (query: AdmissionQuery) => Promise<unknown>;
  /** the live configuration: its app list and policies are the fallback */
  getConfig: () => EngineConfig;
  logger: Logger;
  now?: () => number;
  /** answers remembered (fresh or stale) at most */
  maxEntries?: number;
  /** after a failed request, decide locally for this long before asking again */
  retryAfterFailureMs?: number;
  /** an upper bound on the server's cacheTtlMs */
  maxTtlMs?: number;
}>;

type CacheEntry = { decision: AdmissionDecision; expiresAtMs: number };

export type AdmissionStats = { requests: number; failures: number; cacheHits: number; coalesced: number; fallbacks: number };

export class RemoteAdmission implements Admission {
  readonly stats: AdmissionStats = { requests: 0, failures: 0, cacheHits: 0, coalesced: 0, fallbacks: 0 };
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<AdmissionDecision>>();
  private readonly now: () => number;
  private readonly maxEntries: number;
  private unreachableUntilMs = 0;

  constructor(private readonly options: RemoteAdmissionOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  static key(request: Pick<AdmissionRequest, 'action' | 'protocol' | 'app' | 'stream' | 'query'>): string {
    return JSON.stringify([request.action, request.protocol, request.app, request.stream, request.query]);
  }

  async decide(request: AdmissionRequest): Promise<AdmissionDecision> {
    if (!isValidName(request.stream)) return { allow: false, reason: 'invalid stream name' };
    if (!this.options.getConfig().apps.some((a) => a.name === request.app)) {
      return { allow: false, reason: `unknown app '${request.app}'` };
    }
    const key = RemoteAdmission.key(request);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAtMs > this.now()) {
      this.stats.cacheHits++;
      return cached.decision;
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.stats.coalesced++;
      return pending;
    }
    if (this.now() < this.unreachableUntilMs) return this.fallback(request, key);
    const asked = this.askServer(request, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, asked);
    return asked;
  }

  /** A new configuration: every cached answer must be asked again (they stay as fallbacks). */
  expireAll(): void {
    for (const entry of this.cache.values()) entry.expiresAtMs = 0;
  }

  private async askServer(request: AdmissionRequest, key: string): Promise<AdmissionDecision> {
    this.stats.requests++;
    let answer: AdmissionAnswer;
    try {
      answer = parseAnswer(
        await this.options.ask({
          action: request.action,
          protocol: request.protocol,
          app: request.app,
          stream: request.stream,
          query: request.query,
          clientAddress: request.clientAddress,
          clientId: request.clientId ?? '',
        }),
      );
    } catch (err) {
      this.stats.failures++;
      this.unreachableUntilMs = this.now() + (this.options.retryAfterFailureMs ?? 1000);
      this.options.logger.warn('config server unreachable for admission: deciding locally', { reason: (err as Error).message });
      return this.fallback(request, key);
    }
    const decision: AdmissionDecision = answer.allow
      ? answer.forwardTargets
        ? { allow: true, forwardTargets: answer.forwardTargets }
        : { allow: true }
      : { allow: false, reason: answer.reason || 'refused by the control plane' };
    const ttlMs = Math.min(Math.max(answer.cacheTtlMs, 0), this.options.maxTtlMs ?? 3_600_000);
    this.remember(key, decision, this.now() + ttlMs);
    return decision;
  }

  private fallback(request: AdmissionRequest, key: string): AdmissionDecision {
    this.stats.fallbacks++;
    const stale = this.cache.get(key);
    if (stale) return stale.decision;
    const app = this.options.getConfig().apps.find((a) => a.name === request.app);
    const policy = request.action === 'publish' ? app?.publishPolicy : app?.playPolicy;
    if (app && (policy ?? 'open') === 'open') return { allow: true };
    return { allow: false, reason: UNREACHABLE_REASON };
  }

  private remember(key: string, decision: AdmissionDecision, expiresAtMs: number): void {
    this.cache.delete(key); // re-insert: the map's order is the eviction order
    this.cache.set(key, { decision, expiresAtMs });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

function parseAnswer(value: unknown): AdmissionAnswer {
  if (typeof value !== 'object' || value === null) throw new Error('admission answer is not an object');
  const o = value as Record<string, unknown>;
  if (typeof o.allow !== 'boolean') throw new Error('admission answer: allow is not a boolean');
  const ttl = o.cacheTtlMs;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) throw new Error('admission answer: cacheTtlMs is not a number');
  const reason = typeof o.reason === 'string' ? o.reason : undefined;
  const targets = Array.isArray(o.forwardTargets) ? o.forwardTargets.filter((t): t is string => typeof t === 'string') : undefined;
  return {
    allow: o.allow,
    cacheTtlMs: ttl,
    ...(reason !== undefined ? { reason } : {}),
    ...(targets !== undefined ? { forwardTargets: targets } : {}),
  };
}

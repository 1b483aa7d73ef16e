// Admission by the config server (POST /v1/admission). Answers are cached (admission-cache.ts:
// a short fresh life, a bounded stale life, dropped on every new configuration revision), keyed
// by (action, protocol, app, stream, query), plus the client's address where the app's policy
// is a hook (a hook may judge by address). Identical questions asked while one is in flight
// share it: a 1000-viewer surge on one URL is one request.
//
// Malformed input (a bad stream name, an over-long query) is refused here, never sent. The
// server's 4xx is a definite refusal of that one request. Only a real outage (connection
// refused, timeout, 5xx, an unreadable answer, or the server refusing the engine's own secret)
// makes the engine decide alone, per the app's outagePolicy (config-protocol.ts OutagePolicy):
//   1. an 'open' publish/play policy needs no check: admitted;
//   2. a still-usable refusal for the same key stands;
//   3. 'admitted': a still-usable allow for the same key stands; 'open': admitted;
//   4. otherwise refused with reason 'control plane unreachable'.
import type { AdmissionAnswer, AdmissionQuery } from '../../shared/config-protocol.ts';
import { ADMISSION_CREDENTIALS, DEFAULT_OUTAGE_POLICY } from '../../shared/config-protocol.ts';
import type { AppConfig, EngineConfig } from '../../shared/engine-config.ts';
import type { Logger } from '../../shared/logger.ts';
import { AdmissionCache, DEFAULT_ADMISSION_CACHE, type AdmissionCacheOptions } from './admission-cache.ts';
import { refuseMalformed, type Admission, type AdmissionDecision, type AdmissionRequest } from '../../server/admission.ts';
import { ConfigServerError } from './control-plane-http.ts';

export const UNREACHABLE_REASON = 'control plane unreachable';

export type RemoteAdmissionOptions = Readonly<{
  /** POST /v1/admission; resolves with the raw answer, throws (ConfigServerError) when there is none */
  ask: (query: AdmissionQuery) => Promise<unknown>;
  /** the live configuration: its app list and policies are the fallback */
  getConfig: () => EngineConfig;
  logger: Logger;
  now?: () => number;
  /** bounds of the answer cache (defaults: DEFAULT_ADMISSION_CACHE) */
  cache?: Partial<AdmissionCacheOptions>;
  /** after a failed request, decide locally for this long before asking again */
  retryAfterFailureMs?: number;
}>;

export type AdmissionStats = {
  requests: number;
  failures: number;
  refusedByServer: number;
  cacheHits: number;
  coalesced: number;
  fallbacks: number;
};

type KeyedRequest = Pick<AdmissionRequest, 'action' | 'protocol' | 'app' | 'stream' | 'query' | 'clientAddress'>;

export class RemoteAdmission implements Admission {
  readonly stats: AdmissionStats = { requests: 0, failures: 0, refusedByServer: 0, cacheHits: 0, coalesced: 0, fallbacks: 0 };
  private readonly cache: AdmissionCache;
  private readonly inFlight = new Map<string, Promise<AdmissionDecision>>();
  private readonly now: () => number;
  private unreachableUntilMs = 0;

  constructor(private readonly options: RemoteAdmissionOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new AdmissionCache({ ...DEFAULT_ADMISSION_CACHE, ...options.cache });
  }

  /** the cache key; `byAddress` for apps whose answer may depend on who asks (hook policies) */
  static key(request: KeyedRequest, byAddress: boolean): string {
    const base = [request.action, request.protocol, request.app, request.stream, request.query];
    return JSON.stringify(byAddress ? [...base, request.clientAddress] : base);
  }

  async decide(request: AdmissionRequest): Promise<AdmissionDecision> {
    const malformed = refuseMalformed(request);
    if (malformed !== null) return { allow: false, reason: malformed };
    const app = this.options.getConfig().apps.find((a) => a.name === request.app);
    if (!app) return { allow: false, reason: `unknown app '${request.app}'` };
    const key = RemoteAdmission.key(request, policyOf(app, request.action) === 'hook');
    const cached = this.cache.fresh(key, this.now());
    if (cached) {
      this.stats.cacheHits++;
      return cached;
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.stats.coalesced++;
      return pending;
    }
    if (this.now() < this.unreachableUntilMs) return this.fallback(request, app, key);
    const asked = this.askServer(request, app, key).finally(() => {
      if (this.inFlight.get(key) === asked) this.inFlight.delete(key);
    });
    this.inFlight.set(key, asked);
    return asked;
  }

  /**
   * A new configuration revision: a key may have been revoked or a policy changed, so every
   * remembered answer goes, fallbacks included, and questions in flight are asked again. The
   * revision came from the config server, so it is reachable: ask it at once.
   */
  expireAll(): void {
    this.cache.clear();
    this.inFlight.clear();
    this.unreachableUntilMs = 0;
  }

  private async askServer(request: AdmissionRequest, app: AppConfig, key: string): Promise<AdmissionDecision> {
    this.stats.requests++;
    const generation = this.cache.generation;
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
      const status = refusalStatus(err);
      if (status !== null) {
        // the server judged this request and said no: that is the answer, and says nothing of its health
        this.stats.refusedByServer++;
        return { allow: false, reason: `refused by the control plane (HTTP ${status})` };
      }
      this.stats.failures++;
      this.unreachableUntilMs = this.now() + (this.options.retryAfterFailureMs ?? 1000);
      this.options.logger.warn('config server unreachable for admission: deciding locally', { reason: (err as Error).message });
      return this.fallback(request, app, key);
    }
    const decision: AdmissionDecision = answer.allow
      ? answer.forwardTargets
        ? { allow: true, forwardTargets: answer.forwardTargets }
        : { allow: true }
      : { allow: false, reason: answer.reason || 'refused by the control plane', ...(answer.credentials ? { credentials: answer.credentials } : {}) };
    this.cache.remember(
      key,
      decision,
      { cacheTtlMs: answer.cacheTtlMs, ...(answer.maxAgeMs !== undefined ? { maxAgeMs: answer.maxAgeMs } : {}) },
      this.now(),
      generation,
    );
    return decision;
  }

  private fallback(request: AdmissionRequest, app: AppConfig, key: string): AdmissionDecision {
    this.stats.fallbacks++;
    if (policyOf(app, request.action) === 'open') return { allow: true };
    const remembered = this.cache.usable(key, this.now());
    if (remembered && !remembered.allow) return remembered;
    switch (app.outagePolicy ?? DEFAULT_OUTAGE_POLICY) {
      case 'open':
        return remembered ?? { allow: true };
      case 'admitted':
        return remembered ?? { allow: false, reason: UNREACHABLE_REASON };
      case 'closed':
        return { allow: false, reason: UNREACHABLE_REASON };
    }
  }
}

function policyOf(app: AppConfig, action: AdmissionRequest['action']): string {
  return (action === 'publish' ? app.publishPolicy : app.playPolicy) ?? 'open';
}

/**
 * The HTTP status when the server refused this request (4xx), null for an outage. 401 and 403
 * are about the engine's own secret (being rotated), not the client: those count as an outage.
 */
function refusalStatus(err: unknown): number | null {
  if (!(err instanceof ConfigServerError) || err.status === undefined) return null;
  const status = err.status;
  if (status < 400 || status >= 500 || status === 401 || status === 403) return null;
  return status;
}

function parseAnswer(value: unknown): AdmissionAnswer {
  if (typeof value !== 'object' || value === null) throw new Error('admission answer is not an object');
  const o = value as Record<string, unknown>;
  if (typeof o.allow !== 'boolean') throw new Error('admission answer: allow is not a boolean');
  const ttl = o.cacheTtlMs;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) throw new Error('admission answer: cacheTtlMs is not a number');
  const maxAge = typeof o.maxAgeMs === 'number' && !Number.isNaN(o.maxAgeMs) ? o.maxAgeMs : undefined;
  const reason = typeof o.reason === 'string' ? o.reason : undefined;
  const credentials = ADMISSION_CREDENTIALS.find((c) => c === o.credentials);
  const targets = Array.isArray(o.forwardTargets) ? o.forwardTargets.filter((t): t is string => typeof t === 'string') : undefined;
  return {
    allow: o.allow,
    cacheTtlMs: ttl,
    ...(maxAge !== undefined ? { maxAgeMs: maxAge } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    ...(targets !== undefined ? { forwardTargets: targets } : {}),
  };
}

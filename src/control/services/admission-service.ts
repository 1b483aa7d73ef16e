// Admission of every publish and play: the app's policy decides (open, stream key, signed
// URL, SRS-style hook); an allowed publish also gets its forward targets.
import type { AdmissionAnswer, AdmissionCredentials, AdmissionQuery } from '../../shared/config-protocol.ts';
import type { AppRecord, Store } from '../store/index.ts';
import type { ForwardTargetService } from './forward-target-service.ts';
import type { SignedUrlService } from './signed-url-service.ts';
import { callSrsHook, type HookFetch } from './srs-hook.ts';
import type { StreamKeyService } from './stream-key-service.ts';
import type { AdmissionServiceContract, NowMs } from './types.ts';

export const AdmissionReason = {
  unknownApp: 'unknown app',
  missingStream: 'missing stream name',
  pullApp: 'app takes pulled streams only',
  invalidStreamKey: 'invalid stream key',
} as const;

export type AdmissionOptions = Readonly<{
  fetch: HookFetch;
  hookTimeoutMs: number;
  allowCacheTtlMs: number;
  denyCacheTtlMs: number;
}>;

/** maxAgeMs: how long the allow holds at all (a signed URL's remaining life), caches included */
type Verdict = Readonly<{ allow: true; forwardUrls: readonly string[]; maxAgeMs?: number } | { allow: false; reason: string; credentials?: AdmissionCredentials }>;

export class AdmissionService implements AdmissionServiceContract {
  constructor(
    private readonly store: Store,
    private readonly streamKeys: StreamKeyService,
    private readonly signedUrls: SignedUrlService,
    private readonly forwards: ForwardTargetService,
    private readonly nowMs: NowMs,
    private readonly options: AdmissionOptions,
  ) {}

  async decide(query: AdmissionQuery): Promise<AdmissionAnswer> {
    const verdict = await this.verdict(query);
    if (!verdict.allow) {
      return { allow: false, reason: verdict.reason, cacheTtlMs: this.options.denyCacheTtlMs, ...(verdict.credentials ? { credentials: verdict.credentials } : {}) };
    }
    const maxAgeMs = verdict.maxAgeMs === undefined ? {} : { maxAgeMs: Math.max(0, verdict.maxAgeMs) };
    const cacheTtlMs = Math.max(0, Math.min(this.options.allowCacheTtlMs, verdict.maxAgeMs ?? Infinity));
    if (query.action !== 'publish') return { allow: true, cacheTtlMs, ...maxAgeMs };
    const forwardTargets = [...new Set([...this.forwards.urlsFor(query.app, query.stream), ...verdict.forwardUrls])];
    return { allow: true, forwardTargets, cacheTtlMs, ...maxAgeMs };
  }

  private async verdict(query: AdmissionQuery): Promise<Verdict> {
    const app = this.store.apps.get(query.app);
    if (!app) return { allow: false, reason: AdmissionReason.unknownApp };
    if (query.stream === '') return { allow: false, reason: AdmissionReason.missingStream };
    return query.action === 'publish' ? this.publishVerdict(app, query) : this.playVerdict(app, query);
  }

  private async publishVerdict(app: AppRecord, query: AdmissionQuery): Promise<Verdict> {
    if (app.sourceType === 'pull') return { allow: false, reason: AdmissionReason.pullApp };
    switch (app.publishPolicy) {
      case 'open':
        return { allow: true, forwardUrls: [] };
      case 'stream-key': {
        // rtmp://host/app/stream?key=K, or OBS's stream key field set to "stream?key=K";
        // without a key parameter the stream name itself may be an any-stream key
        const key = new URLSearchParams(query.query).get('key') ?? query.stream;
        return this.streamKeys.verify(app.name, query.stream, key)
          ? { allow: true, forwardUrls: [] }
          : { allow: false, reason: AdmissionReason.invalidStreamKey, credentials: 'stream-key' };
      }
      case 'signed-url':
        return this.signedVerdict(app, query);
      case 'hook':
        return this.hookVerdict(app, query);
    }
  }

  private async playVerdict(app: AppRecord, query: AdmissionQuery): Promise<Verdict> {
    switch (app.playPolicy) {
      case 'open':
        return { allow: true, forwardUrls: [] };
      case 'signed-url':
        return this.signedVerdict(app, query);
      case 'hook':
        return this.hookVerdict(app, query);
    }
  }

  private signedVerdict(app: AppRecord, query: AdmissionQuery): Verdict {
    const check = this.signedUrls.verify(app.name, query.stream, query.query, query.action, { rtspDigest: query.protocol === 'rtsp' });
    if (!check.ok) return { allow: false, reason: check.reason, credentials: 'signed-url' };
    // no cache, fresh or stale, may hold an allow past the URL's expiry
    return { allow: true, forwardUrls: [], maxAgeMs: check.expiresAtMs - this.nowMs() };
  }

  private async hookVerdict(app: AppRecord, query: AdmissionQuery): Promise<Verdict> {
    if (app.hookUrl === null) return { allow: false, reason: 'authorization hook not configured' };
    return callSrsHook(this.options.fetch, app.hookUrl, query, this.options.hookTimeoutMs);
  }
}

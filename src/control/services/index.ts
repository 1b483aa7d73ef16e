// The control-plane services: the rules between the REST API / config server and the store.
// createServices(store, options) wires them; bootstrap() prepares a first start.
import { DEFAULT_OUTAGE_POLICY } from '../../shared/config-protocol.ts';
import type { Store } from '../store/index.ts';
import { AdmissionService } from './admission-service.ts';
import { AppService } from './app-service.ts';
import { AuthService } from './auth-service.ts';
import { ConfigSnapshotService } from './config-snapshot-service.ts';
import { EventsService } from './events-service.ts';
import { ForwardTargetService } from './forward-target-service.ts';
import { LoginRateLimiter } from './login-rate-limiter.ts';
import { PullSourceService } from './pull-source-service.ts';
import { randomHex } from './secrets.ts';
import { DEFAULT_APP_RECORDING } from './recording-settings.ts';
import { DEFAULT_APP_SNAPSHOT } from './snapshot-settings.ts';
import { readSettings, SettingsService } from './settings-service.ts';
import { SignedUrlService } from './signed-url-service.ts';
import { StreamKeyService } from './stream-key-service.ts';
import type { BootstrapResult, Services, ServicesOptions } from './types.ts';
import { UserService } from './user-service.ts';

export * from './types.ts';
export { DomainError, DomainErrorStatus, isDomainError, type DomainErrorCode } from './errors.ts';
export { EngineSecretService, ENGINE_SECRET_ENV, secretsEqual } from './engine-secret-service.ts';
export { API_TOKEN_PREFIX } from './auth-service.ts';
export { STREAM_KEY_PREFIX } from './stream-key-service.ts';
export { signedUrlMessage } from './signed-url-service.ts';
export { DEFAULT_SETTINGS } from './settings-service.ts';
export { PUBLISH_POLICIES, PLAY_POLICIES, SOURCE_TYPES } from './app-service.ts';
export { OUTAGE_POLICIES, DEFAULT_OUTAGE_POLICY } from '../../shared/config-protocol.ts';
export { USER_ROLES, ADMIN_PASSWORD_ENV } from './user-service.ts';
export { APP_NAME_PATTERN, STREAM_NAME_PATTERN, USERNAME_PATTERN } from './validation.ts';
export { srsHookBody, parseHookAnswer, type SrsHookBody } from './srs-hook.ts';

export const DEFAULT_APP_NAME = 'live';
/** settings key marking that the first-start defaults were written (so a deleted `live` stays deleted) */
const DEFAULTS_SEEDED_KEY = 'bootstrap.defaultsSeeded';

export function createServices(store: Store, options: ServicesOptions = {}): Services {
  const nowMs = options.nowMs ?? Date.now;
  // The snapshot reads the settings from the store, so it exists before the settings service that notifies it.
  const config = new ConfigSnapshotService(store, { get: () => readSettings(store) });
  const settings = new SettingsService(store, config);
  const apps = new AppService(store, config, nowMs);
  const streamKeys = new StreamKeyService(store, config, nowMs);
  const signedUrls = new SignedUrlService(store, nowMs);
  const pulls = new PullSourceService(store, config, nowMs);
  const forwards = new ForwardTargetService(store, config, nowMs);
  const users = new UserService(store, nowMs, options.env ?? process.env, options.passwordHashCost ?? null);
  const backoff = {
    baseDelayMs: options.loginBaseDelayMs ?? 30_000,
    maxDelayMs: options.loginMaxDelayMs ?? 15 * 60_000,
    forgetAfterMs: options.loginForgetAfterMs ?? 3600_000,
  };
  const limiters = {
    perPair: new LoginRateLimiter(nowMs, { ...backoff, freeFailures: options.loginMaxFailures ?? 5 }),
    perAddress: new LoginRateLimiter(nowMs, { ...backoff, freeFailures: options.loginMaxFailuresPerAddress ?? 20 }),
  };
  const auth = new AuthService(store, users, limiters, nowMs, options.sessionTtlMs ?? 24 * 3600_000);
  const admission = new AdmissionService(store, streamKeys, signedUrls, forwards, nowMs, {
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    hookTimeoutMs: options.hookTimeoutMs ?? 2000,
    allowCacheTtlMs: options.allowCacheTtlMs ?? 5000,
    denyCacheTtlMs: options.denyCacheTtlMs ?? 1000,
  });
  const events = new EventsService(nowMs, options.eventsCapacity ?? 1000);

  async function bootstrap(): Promise<BootstrapResult> {
    const createdDefaultApp = store.transaction(() => {
      if (store.settings.get(DEFAULTS_SEEDED_KEY) === true) return false;
      settings.seedDefaults();
      let created = false;
      if (!store.apps.findIgnoringCase(DEFAULT_APP_NAME)) {
        store.apps.insert({
          name: DEFAULT_APP_NAME,
          sourceType: 'push',
          hls: true,
          llHls: true,
          publishPolicy: 'open',
          playPolicy: 'open',
          hookUrl: null,
          outagePolicy: DEFAULT_OUTAGE_POLICY,
          recording: DEFAULT_APP_RECORDING,
          snapshot: DEFAULT_APP_SNAPSHOT,
          signingSecret: randomHex(32),
          createdAtMs: nowMs(),
        });
        created = true;
      }
      store.settings.setMany({ [DEFAULTS_SEEDED_KEY]: true }, true);
      return created;
    });
    config.changed();
    const admin = await users.bootstrapAdmin();
    return { admin, createdDefaultApp };
  }

  return { apps, streamKeys, signedUrls, pulls, forwards, settings, users, auth, admission, config, events, bootstrap };
}

// What a non-admin may see of configured URLs: forward targets carry stream keys, pull sources
// and hook/origin URLs carry tokens and passwords. Viewers get them through redactSecrets
// (src/shared/redact-url.ts); admins read them whole, because the API is how they edit them.
import type { RelayStatus } from '../../shared/config-protocol.ts';
import { redactSecrets, redactUrlsIn } from '../../shared/redact-url.ts';
import type { App } from '../services/types.ts';

type WithUrl = Readonly<{ url: string }>;

/** an app as a non-admin may see it: hook and origin URLs without their secrets */
export function redactApp(app: App): App {
  const redacted: App = { ...app, hookUrl: app.hookUrl === null ? null : redactSecrets(app.hookUrl) };
  return app.originUrl == null ? redacted : { ...redacted, originUrl: redactSecrets(app.originUrl) };
}

/** a pull source or forward target (and the engine's status of it) without its secrets */
export function redactRelay<T extends WithUrl>(relay: T): T {
  return { ...relay, url: redactSecrets(relay.url) };
}

/** the engine's status of a relay: its URL, and any URL its last error quotes */
export const redactStatus = (status: RelayStatus): RelayStatus => ({
  ...status,
  url: redactSecrets(status.url),
  lastError: status.lastError === null ? null : redactUrlsIn(status.lastError),
});

/** the description every redacted URL field carries in the OpenAPI document */
export const REDACTED_FOR_VIEWERS = 'Viewer accounts get it with its secrets (userinfo, the stream key of an RTMP URL, query values) replaced by ***.';

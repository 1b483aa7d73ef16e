// After every configuration change (a new config revision, whoever made it: this API, the
// console, a service) tell the engine to fetch its configuration again: POST /v1/reload,
// best effort. An engine that is down fetches the whole configuration when it comes back.
import type { ApiDeps } from './deps.ts';

/** returns the unsubscribe function */
export function engineNotify(deps: ApiDeps): () => void {
  return deps.services.config.subscribe((revision) => {
    void deps.engine.reload().then((result) => {
      if (!result.ok) deps.logger.debug('engine not told to reload', { revision, reason: result.reason });
    });
  });
}

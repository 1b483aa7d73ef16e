// Pull sources: streams a 'pull' app fetches from elsewhere (executed by the engine's relay).
// A URL's userinfo password (camera credentials) is stored for the engine and never read back (url-password.ts).
import type { PullSourceRecord, Store } from '../store/index.ts';
import type { ConfigChangeNotifier } from './config-snapshot-service.ts';
import { conflict, invalid, notFound } from './errors.ts';
import type {
  NowMs,
  PullSource,
  PullSourceCreateInput,
  PullSourceServiceContract,
  PullSourceUpdateInput,
} from './types.ts';
import { udpListenPort } from './app-service.ts';
import { hidePassword } from './url-password.ts';
import { checkAppName, checkBoolean, checkRelayUrl, checkRelayUrlPatch, checkStreamName } from './validation.ts';

export const PULL_URL_SCHEMES = ['rtmp', 'rtmps', 'http', 'https', 'rtsp', 'rtsps', 'srt', 'udp'] as const;

function toPullSource(r: PullSourceRecord): PullSource {
  return { id: r.id, app: r.app, stream: r.stream, url: hidePassword(r.url), enabled: r.enabled };
}

// Alike in shape to forward-target-service.ts (mapper, list/get/create/update frame); kept apart because a pull has its own
// rules (pull apps only, one per stream, UDP port not an app's SRT port) and a forward its own (stream null = every stream).
export class PullSourceService implements PullSourceServiceContract {
  constructor(
    private readonly store: Store,
    private readonly notifier: ConfigChangeNotifier,
    private readonly nowMs: NowMs,
  ) {}

  list(app?: string): readonly PullSource[] {
    if (app !== undefined && !this.store.apps.get(app)) throw notFound(`app '${app}'`);
    return this.store.pulls.list(app).map(toPullSource);
  }

  get(id: string): PullSource {
    return toPullSource(this.record(id));
  }

  create(input: PullSourceCreateInput): PullSource {
    const app = checkAppName(input.app, 'app');
    const record: PullSourceRecord = {
      id: crypto.randomUUID(),
      app,
      stream: checkStreamName(input.stream),
      url: checkRelayUrl(input.url, PULL_URL_SCHEMES),
      enabled: input.enabled === undefined ? true : checkBoolean(input.enabled, 'enabled'),
      createdAtMs: this.nowMs(),
    };
    this.store.transaction(() => {
      const appRecord = this.store.apps.get(app);
      if (!appRecord) throw notFound(`app '${app}'`);
      if (appRecord.sourceType !== 'pull') {
        throw invalid('app', `app '${app}' takes pushed streams; set its sourceType to 'pull' first`);
      }
      this.checkFree(app, record.stream, null);
      this.checkUdpPortFree(record.url);
      this.store.pulls.insert(record);
    });
    this.notifier.changed();
    return toPullSource(record);
  }

  update(id: string, patch: PullSourceUpdateInput): PullSource {
    const current = this.record(id);
    const next: PullSourceRecord = {
      ...current,
      stream: patch.stream === undefined ? current.stream : checkStreamName(patch.stream),
      url: patch.url === undefined ? current.url : checkRelayUrlPatch(patch.url, current.url, PULL_URL_SCHEMES),
      enabled: patch.enabled === undefined ? current.enabled : checkBoolean(patch.enabled, 'enabled'),
    };
    this.store.transaction(() => {
      this.checkFree(next.app, next.stream, id);
      this.checkUdpPortFree(next.url);
      this.store.pulls.update(next);
    });
    this.notifier.changed();
    return toPullSource(next);
  }

  delete(id: string): void {
    if (!this.store.pulls.delete(id)) throw notFound(`pull source '${id}'`);
    this.notifier.changed();
  }

  private checkFree(app: string, stream: string, exceptId: string | null): void {
    const taken = this.store.pulls.list(app).some((p) => p.stream === stream && p.id !== exceptId);
    if (taken) throw conflict(`stream '${app}/${stream}' already has a pull source`);
  }

  /** a udp:// source listens on its port: not one an app's SRT listener has (app srtPort) */
  private checkUdpPortFree(url: string): void {
    const port = udpListenPort(url);
    if (port === null) return;
    const app = this.store.apps.list().find((a) => a.srtPort === port);
    if (app) throw invalid('url', `UDP port ${port} is the SRT port of app '${app.name}'`);
  }

  private record(id: string): PullSourceRecord {
    const r = this.store.pulls.get(id);
    if (!r) throw notFound(`pull source '${id}'`);
    return r;
  }
}

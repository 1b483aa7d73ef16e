// Forward targets: where the engine re-publishes an app's streams (one stream or all of them): RTMP(S) publish,
// MPEG-TS to an SRT listener (Weir calls) or to a UDP address. An SRT passphrase is never read back (url-password.ts).
import type { ForwardTargetRecord, Store } from '../store/index.ts';
import type { ConfigChangeNotifier } from './config-snapshot-service.ts';
import { notFound } from './errors.ts';
import type {
  ForwardTarget,
  ForwardTargetCreateInput,
  ForwardTargetServiceContract,
  ForwardTargetUpdateInput,
  NowMs,
} from './types.ts';
import { hidePassword } from './url-password.ts';
import { checkAppName, checkBoolean, checkRelayUrl, checkRelayUrlPatch, checkStreamName } from './validation.ts';

export const FORWARD_URL_SCHEMES = ['rtmp', 'rtmps', 'srt', 'udp'] as const;

function toForwardTarget(r: ForwardTargetRecord): ForwardTarget {
  return { id: r.id, app: r.app, stream: r.stream, url: hidePassword(r.url), enabled: r.enabled };
}

export class ForwardTargetService implements ForwardTargetServiceContract {
  constructor(
    private readonly store: Store,
    private readonly notifier: ConfigChangeNotifier,
    private readonly nowMs: NowMs,
  ) {}

  list(app?: string): readonly ForwardTarget[] {
    if (app !== undefined && !this.store.apps.get(app)) throw notFound(`app '${app}'`);
    return this.store.forwards.list(app).map(toForwardTarget);
  }

  get(id: string): ForwardTarget {
    return toForwardTarget(this.record(id));
  }

  create(input: ForwardTargetCreateInput): ForwardTarget {
    const app = checkAppName(input.app, 'app');
    const record: ForwardTargetRecord = {
      id: crypto.randomUUID(),
      app,
      stream: input.stream === undefined || input.stream === null ? null : checkStreamName(input.stream),
      url: checkRelayUrl(input.url, FORWARD_URL_SCHEMES),
      enabled: input.enabled === undefined ? true : checkBoolean(input.enabled, 'enabled'),
      createdAtMs: this.nowMs(),
    };
    this.store.transaction(() => {
      if (!this.store.apps.get(app)) throw notFound(`app '${app}'`);
      this.store.forwards.insert(record);
    });
    this.notifier.changed();
    return toForwardTarget(record);
  }

  update(id: string, patch: ForwardTargetUpdateInput): ForwardTarget {
    const current = this.record(id);
    const next: ForwardTargetRecord = {
      ...current,
      stream: patch.stream === undefined ? current.stream : patch.stream === null ? null : checkStreamName(patch.stream),
      url: patch.url === undefined ? current.url : checkRelayUrlPatch(patch.url, current.url, FORWARD_URL_SCHEMES),
      enabled: patch.enabled === undefined ? current.enabled : checkBoolean(patch.enabled, 'enabled'),
    };
    this.store.forwards.update(next);
    this.notifier.changed();
    return toForwardTarget(next);
  }

  delete(id: string): void {
    if (!this.store.forwards.delete(id)) throw notFound(`forward target '${id}'`);
    this.notifier.changed();
  }

  urlsFor(app: string, stream: string): readonly string[] {
    return this.store.forwards
      .list(app)
      .filter((f) => f.enabled && (f.stream === null || f.stream === stream))
      .map((f) => f.url);
  }

  private record(id: string): ForwardTargetRecord {
    const r = this.store.forwards.get(id);
    if (!r) throw notFound(`forward target '${id}'`);
    return r;
  }
}

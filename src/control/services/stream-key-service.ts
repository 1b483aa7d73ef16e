// Stream keys: random per-app (optionally per-stream) publish secrets. The plain key is
// returned once at creation; only its SHA-256 and a display prefix are stored. Creating,
// revoking and deleting a key are configuration changes: the engine is told (it drops the
// admission answers it cached).
import type { StreamKeyRecord, Store } from '../store/index.ts';
import type { ConfigChangeNotifier } from './config-snapshot-service.ts';
import { notFound } from './errors.ts';
import { matchHashed, mintSecret } from './secrets.ts';
import type {
  CreatedStreamKey,
  NowMs,
  StreamKey,
  StreamKeyCreateInput,
  StreamKeyServiceContract,
} from './types.ts';
import { checkAppName, checkLabel, checkStreamName } from './validation.ts';

export const STREAM_KEY_PREFIX = 'wsk_';
/** characters after `wsk_` stored and shown to tell keys apart */
const DISPLAY_CHARS = 6;

function toStreamKey(r: StreamKeyRecord): StreamKey {
  const { keyHash: _hash, ...key } = r;
  return key;
}

// Alike in shape to the forward-target and pull-source services' list/get/create; kept apart because a key is hashed,
// shown once and revoked, never edited.
export class StreamKeyService implements StreamKeyServiceContract {
  constructor(
    private readonly store: Store,
    private readonly notifier: ConfigChangeNotifier,
    private readonly nowMs: NowMs,
  ) {}

  list(app?: string): readonly StreamKey[] {
    if (app !== undefined && !this.store.apps.get(app)) throw notFound(`app '${app}'`);
    return this.store.streamKeys.list(app).map(toStreamKey);
  }

  get(id: string): StreamKey {
    return toStreamKey(this.record(id));
  }

  create(input: StreamKeyCreateInput): CreatedStreamKey {
    const app = checkAppName(input.app, 'app');
    const stream = input.stream === undefined || input.stream === null ? null : checkStreamName(input.stream);
    const label = input.label === undefined ? '' : checkLabel(input.label, 'label');
    if (!this.store.apps.get(app)) throw notFound(`app '${app}'`);
    const key = mintSecret(STREAM_KEY_PREFIX, DISPLAY_CHARS);
    const record: StreamKeyRecord = {
      id: crypto.randomUUID(),
      app,
      stream,
      keyHash: key.hash,
      prefix: key.displayPrefix,
      label,
      createdAtMs: this.nowMs(),
      revokedAtMs: null,
    };
    this.store.streamKeys.insert(record);
    this.notifier.changed();
    return { streamKey: toStreamKey(record), key: key.secret };
  }

  revoke(id: string): StreamKey {
    this.record(id);
    this.store.streamKeys.revoke(id, this.nowMs());
    this.notifier.changed();
    return this.get(id);
  }

  delete(id: string): void {
    if (!this.store.streamKeys.delete(id)) throw notFound(`stream key '${id}'`);
    this.notifier.changed();
  }

  verify(app: string, stream: string, key: string): boolean {
    if (key.length === 0 || key.length > 256) return false;
    return matchHashed(key, this.store.streamKeys.activeFor(app, stream), (c) => c.keyHash) !== null;
  }

  private record(id: string): StreamKeyRecord {
    const r = this.store.streamKeys.get(id);
    if (!r) throw notFound(`stream key '${id}'`);
    return r;
  }
}

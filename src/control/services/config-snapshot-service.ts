// Builds the engine's ConfigSnapshot from the store and tells subscribers when the
// configuration revision moved (the entry point turns that into POST /v1/reload on the engine).
import { CONFIG_PROTOCOL_VERSION, type ConfigSnapshot } from '../../shared/config-protocol.ts';
import type { Store } from '../store/index.ts';
import { recordingForEngine } from './recording-settings.ts';
import { snapshotForEngine } from './snapshot-settings.ts';
import type { ConfigSnapshotServiceContract, SettingsReader } from './types.ts';

export class ConfigSnapshotService implements ConfigSnapshotServiceContract {
  private readonly listeners = new Set<(revision: number) => void>();
  private lastNotified: number;

  constructor(
    private readonly store: Store,
    private readonly settings: SettingsReader,
  ) {
    this.lastNotified = store.revision.get();
  }

  snapshot(): ConfigSnapshot {
    return this.store.transaction(() => {
      const settings = this.settings.get();
      return {
        protocolVersion: CONFIG_PROTOCOL_VERSION,
        revision: this.store.revision.get(),
        listen: settings.listen,
        hls: settings.hls,
        apps: this.store.apps.list().map((a) => {
          const recording = recordingForEngine(a.recording);
          const snapshot = snapshotForEngine(a.snapshot);
          return {
          name: a.name,
          sourceType: a.sourceType,
          hls: a.hls,
          llHls: a.llHls,
          publishPolicy: a.publishPolicy,
          playPolicy: a.playPolicy,
          hookUrl: a.hookUrl,
          outagePolicy: a.outagePolicy,
          ...(a.originUrl == null ? {} : { originUrl: a.originUrl }),
          ...(a.srtPort == null ? {} : { srtPort: a.srtPort }),
          ...(recording === undefined ? {} : { recording }),
          ...(snapshot === undefined ? {} : { snapshot }),
          };
        }),
        pulls: this.store.pulls.list().map((p) => ({ id: p.id, app: p.app, stream: p.stream, url: p.url, enabled: p.enabled })),
        forwards: this.store.forwards
          .list()
          .map((f) => ({ id: f.id, app: f.app, stream: f.stream, url: f.url, enabled: f.enabled })),
      };
    });
  }

  revision(): number {
    return this.store.revision.get();
  }

  subscribe(listener: (revision: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** services call this after every write; listeners hear each new revision once */
  changed(): void {
    const revision = this.store.revision.get();
    if (revision === this.lastNotified) return;
    this.lastNotified = revision;
    for (const listener of [...this.listeners]) {
      try {
        listener(revision);
      } catch {
        // a failing listener must not undo or block a committed change
      }
    }
  }
}

/** what the writing services see of the snapshot service */
export type { ConfigChangeNotifier } from './types.ts';

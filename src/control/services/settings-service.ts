// Engine settings: listen addresses and HLS timings, validated as a whole before any write.
import type { SettingValue, Store } from '../store/index.ts';
import { invalid } from './errors.ts';
import type { ConfigChangeNotifier, HlsSettings, Settings, SettingsServiceContract, SettingsUpdateInput } from './types.ts';
import { checkBoolean, checkHost, checkInteger, checkPort } from './validation.ts';

export const DEFAULT_SETTINGS: Settings = {
  listen: { rtmpHost: '0.0.0.0', rtmpPort: 1935, httpHost: '0.0.0.0', httpPort: 8080 },
  hls: { targetDurationMs: 2000, partTargetMs: 150, windowSegments: 6, alwaysRemux: false, muxerCloseAfterMs: 60_000 },
};

/** settings keys in the store, one per field */
const KEYS = {
  rtmpHost: 'listen.rtmpHost',
  rtmpPort: 'listen.rtmpPort',
  httpHost: 'listen.httpHost',
  httpPort: 'listen.httpPort',
  targetDurationMs: 'hls.targetDurationMs',
  partTargetMs: 'hls.partTargetMs',
  windowSegments: 'hls.windowSegments',
  alwaysRemux: 'hls.alwaysRemux',
  muxerCloseAfterMs: 'hls.muxerCloseAfterMs',
} as const;

/** The settings as stored (defaults for unset keys); a plain function so the config snapshot reads them without the service. */
export function readSettings(store: Store): Settings {
  const all = store.settings.all();
  const str = (key: string, fallback: string): string => {
    const v = all.get(key);
    return typeof v === 'string' ? v : fallback;
  };
  const num = (key: string, fallback: number): number => {
    const v = all.get(key);
    return typeof v === 'number' ? v : fallback;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = all.get(key);
    return typeof v === 'boolean' ? v : fallback;
  };
  const d = DEFAULT_SETTINGS;
  return {
    listen: {
      rtmpHost: str(KEYS.rtmpHost, d.listen.rtmpHost),
      rtmpPort: num(KEYS.rtmpPort, d.listen.rtmpPort),
      httpHost: str(KEYS.httpHost, d.listen.httpHost),
      httpPort: num(KEYS.httpPort, d.listen.httpPort),
    },
    hls: {
      targetDurationMs: num(KEYS.targetDurationMs, d.hls.targetDurationMs),
      partTargetMs: num(KEYS.partTargetMs, d.hls.partTargetMs),
      windowSegments: num(KEYS.windowSegments, d.hls.windowSegments),
      alwaysRemux: bool(KEYS.alwaysRemux, d.hls.alwaysRemux),
      muxerCloseAfterMs: num(KEYS.muxerCloseAfterMs, d.hls.muxerCloseAfterMs),
    },
  };
}

export class SettingsService implements SettingsServiceContract {
  constructor(
    private readonly store: Store,
    private readonly notifier: ConfigChangeNotifier,
  ) {}

  get(): Settings {
    return readSettings(this.store);
  }

  update(patch: SettingsUpdateInput): Settings {
    const current = this.get();
    const next = validateSettings({
      listen: { ...current.listen, ...definedOnly(patch.listen ?? {}) },
      hls: { ...current.hls, ...definedOnly(patch.hls ?? {}) },
    });
    if (JSON.stringify(next) !== JSON.stringify(current)) {
      this.store.settings.setMany(toEntries(next), true);
      this.notifier.changed();
    }
    return next;
  }

  /** writes every setting explicitly (first start); no revision bump of its own */
  seedDefaults(): void {
    this.store.settings.setMany(toEntries(DEFAULT_SETTINGS), false);
  }
}

export function validateSettings(s: Settings): Settings {
  const listen = {
    rtmpHost: checkHost(s.listen.rtmpHost, 'listen.rtmpHost'),
    rtmpPort: checkPort(s.listen.rtmpPort, 'listen.rtmpPort'),
    httpHost: checkHost(s.listen.httpHost, 'listen.httpHost'),
    httpPort: checkPort(s.listen.httpPort, 'listen.httpPort'),
  };
  if (listen.rtmpPort === listen.httpPort) {
    throw invalid('listen.httpPort', 'the RTMP and HTTP ports must differ');
  }
  const hls: HlsSettings = {
    targetDurationMs: checkInteger(s.hls.targetDurationMs, 'hls.targetDurationMs', 500, 60_000),
    partTargetMs: checkInteger(s.hls.partTargetMs, 'hls.partTargetMs', 50, 60_000),
    windowSegments: checkInteger(s.hls.windowSegments, 'hls.windowSegments', 2, 100),
    alwaysRemux: checkBoolean(s.hls.alwaysRemux, 'hls.alwaysRemux'),
    muxerCloseAfterMs: checkInteger(s.hls.muxerCloseAfterMs, 'hls.muxerCloseAfterMs', 1000, 86_400_000),
  };
  if (hls.partTargetMs * 3 > hls.targetDurationMs) {
    throw invalid('hls.partTargetMs', 'hls.partTargetMs must be at most a third of hls.targetDurationMs');
  }
  return { listen, hls };
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toEntries(s: Settings): Record<string, SettingValue> {
  return {
    [KEYS.rtmpHost]: s.listen.rtmpHost,
    [KEYS.rtmpPort]: s.listen.rtmpPort,
    [KEYS.httpHost]: s.listen.httpHost,
    [KEYS.httpPort]: s.listen.httpPort,
    [KEYS.targetDurationMs]: s.hls.targetDurationMs,
    [KEYS.partTargetMs]: s.hls.partTargetMs,
    [KEYS.windowSegments]: s.hls.windowSegments,
    [KEYS.alwaysRemux]: s.hls.alwaysRemux,
    [KEYS.muxerCloseAfterMs]: s.hls.muxerCloseAfterMs,
  };
}

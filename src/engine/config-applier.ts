// Applies a new configuration to a running engine without a restart, touching only what
// changed:
//  - listen addresses: the new listener is bound first, then the old one stops accepting.
//    Streams live in the hub, not in listeners, so nothing is dropped: RTMP connections the
//    old socket accepted stay until they end, and HTTP responses it started (FLV viewers,
//    blocked playlist requests) run to their end. If the new address cannot be bound the old
//    listener stays and the error is logged; the next configuration tries again.
//  - apps: an app no longer listed loses its clients (publishers, viewers, idle RTMP
//    connections), its streams and their HLS windows at once.
//  - per-app HLS switches and HLS durations: read when a stream goes live, so they apply to
//    streams that start afterwards; running streams keep the outputs they have.
//  - admission answers cached under the previous configuration are asked again.
import type { EngineConfig } from '../shared/engine-config.ts';
import type { ConfigApplyError } from '../shared/config-protocol.ts';
import type { EngineContext } from '../server/engine-context.ts';
import type { HttpMediaServer } from '../server/http/http-server.ts';
import type { RtmpListener } from '../server/rtmp/rtmp-listener.ts';

export type ApplyTargets = Readonly<{
  ctx: EngineContext;
  rtmp: RtmpListener;
  http: HttpMediaServer;
  setConfig: (config: EngineConfig) => void;
  /** called after the configuration changed (e.g. to expire cached admission answers) */
  onApplied?: () => void;
}>;

export type ApplyReport = { rtmpMoved: boolean; httpMoved: boolean; removedApps: string[]; errors: ConfigApplyError[] };

type Address = Readonly<{ host: string; port: number }>;

/** What RtmpListener and HttpMediaServer share: where they listen, and a move elsewhere. */
type Rebindable = Readonly<{ bound: Address | null; rebind(host: string, port: number): void }>;

function sameAddress(a: Address | null, b: Address): boolean {
  return a !== null && a.host === b.host && a.port === b.port;
}

export function applyEngineConfig(targets: ApplyTargets, next: EngineConfig): ApplyReport {
  const { ctx, rtmp, http } = targets;
  const log = ctx.logger;
  const previous = ctx.config();
  const report: ApplyReport = { rtmpMoved: false, httpMoved: false, removedApps: [], errors: [] };

  /** Moves a listener to its new address; false (logged, reported) when it cannot bind there and stays. */
  const move = (listener: Rebindable, to: Address, name: 'rtmp' | 'http'): boolean => {
    if (sameAddress(listener.bound, to)) return false;
    try {
      listener.rebind(to.host, to.port);
      return true;
    } catch (err) {
      const reason = (err as Error).message;
      report.errors.push({ setting: `listen.${name}`, value: `${to.host}:${to.port}`, reason });
      log.error(`could not listen on the new ${name.toUpperCase()} address; staying where it was`, { host: to.host, port: to.port, reason });
      return false;
    }
  };
  report.rtmpMoved = move(rtmp, next.rtmp, 'rtmp');
  report.httpMoved = move(http, next.http, 'http');

  targets.setConfig(next);

  const kept = new Set(next.apps.map((a) => a.name));
  for (const app of previous.apps) {
    if (kept.has(app.name)) continue;
    report.removedApps.push(app.name);
    const reason = `app '${app.name}' was removed`;
    const clients = ctx.clients.kickApp(app.name, reason);
    const streams = ctx.streams.closeApp(app.name, reason);
    ctx.hls.closeApp(app.name);
    log.info('app removed: its clients and streams are closed', { app: app.name, clients, streams });
  }
  targets.onApplied?.();
  return report;
}

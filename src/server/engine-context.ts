// What every edge of the engine shares: configuration, the stream hub, outputs, admission,
// the client registry and the event sink.
import type { StreamRegistry } from '../hub/stream-registry.ts';
import type { HlsRegistry } from '../outputs/hls/hls-registry.ts';
import type { OutputRegistry } from '../outputs/output-registry.ts';
import type { EngineConfig } from '../shared/engine-config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Admission } from './admission.ts';
import type { ClientRegistry } from './client-registry.ts';
import type { WriterTotals } from './connection-writer.ts';
import type { EngineEventSink } from './engine-events.ts';
import type { SnapshotAnswer } from '../recorder/snapshot-manager.ts';

/** Engine-wide byte totals (what the edges read from and wrote to sockets). */
export type EngineCounters = {
  bytesIn: number;
  bytesOut: number;
  /** media messages dropped and viewers cut off for being slow, over every connection writer (metrics) */
  writers?: WriterTotals;
  /** WebRTC viewers degraded to audio and keyframes, and closed for a link that cannot take even that (metrics) */
  webrtc?: { degradations: number; slowDisconnects: number };
  /** connections, publishes and requests refused by a connection limit, by the limit's setting name */
  refusals?: Record<string, number>;
};

/** Counts one refusal under the limit's setting name (a handful of fixed names: bounded labels). */
export function countRefusal(counters: EngineCounters, limit: string): void {
  const refusals = (counters.refusals ??= {});
  refusals[limit] = (refusals[limit] ?? 0) + 1;
}

export type EngineContext = Readonly<{
  /** the live configuration: read it when it is needed, never keep it */
  config: () => EngineConfig;
  streams: StreamRegistry;
  outputs: OutputRegistry;
  hls: HlsRegistry;
  admission: Admission;
  clients: ClientRegistry;
  events: EngineEventSink;
  counters: EngineCounters;
  logger: Logger;
  nextConnectionId: () => string;
  /** JPEG snapshots of live streams (/{app}/{stream}/snapshot.jpg); absent: none */
  snapshots?: Readonly<{ find(app: string, stream: string, index?: number): SnapshotAnswer }>;
}>;

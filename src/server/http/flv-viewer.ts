// Attaches one HTTP-FLV or WebSocket-FLV viewer to its stream's shared FLV output: FLV
// header first, then headers and GOP, then live tags, all through one ConnectionWriter. The
// viewer is a client of the engine (listed and kickable through the client registry) from
// attach until it leaves.
import { encodeFlvHeader } from '../../flv/encode-flv.ts';
import type { LiveStream } from '../../hub/live-stream.ts';
import { encodeFlvPacket, FLV_FORMAT } from '../../outputs/encoders.ts';
import type { OutputViewer } from '../../outputs/serialized-output.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ClientEntry } from '../client-registry.ts';
import { ConnectionWriter, type ByteSink } from '../connection-writer.ts';
import type { EngineContext } from '../engine-context.ts';
import { writerViewer } from '../writer-viewer.ts';

export interface FlvViewerHandle {
  readonly writer: ConnectionWriter;
  /** The client went away: leave the output. Idempotent. */
  detach(): void;
}

export type FlvViewerIdentity = Readonly<{ id: string; protocol: 'http-flv' | 'ws-flv'; address: string }>;

export function attachFlvViewer(
  ctx: EngineContext,
  stream: LiveStream,
  sink: ByteSink,
  log: Logger,
  who: FlvViewerIdentity,
): FlvViewerHandle {
  const output = ctx.outputs.obtain(stream, FLV_FORMAT, encodeFlvPacket);
  let attached = true;
  let registered = true;
  const connectedAtMs = Date.now();
  /** leaves the client registry and tells the control plane, once */
  const release = (): void => {
    if (!registered) return;
    registered = false;
    ctx.clients.unregister(client);
    ctx.events.emit({ type: 'play-stop', app: stream.app, stream: stream.name, clientId: who.id, atMs: Date.now() });
  };
  const detach = (): void => {
    release();
    if (!attached) return;
    attached = false;
    output.removeViewer(viewer);
    writer.close();
  };
  const writer = new ConnectionWriter(
    sink,
    ctx.config().writers,
    (reason) => {
      log.warn('viewer dropped', { reason });
      detach();
    },
    (bytes) => {
      ctx.counters.bytesOut += bytes;
      stream.counters.bytesOut += bytes;
    },
    ctx.counters.writers,
  );
  const viewer: OutputViewer = writerViewer(writer, {
    // FLV has no in-band signal for a publisher restart; the next headers simply follow.
    onPublisherStart: () => {},
    onPublisherStop: () => {},
    onStreamEnd: () => {
      attached = false;
      release();
      writer.endGracefully();
    },
  }, sink);
  const client: ClientEntry = {
    id: who.id,
    protocol: who.protocol,
    address: who.address,
    connectedAtMs,
    role: () => 'viewer',
    app: () => stream.app,
    stream: () => stream.name,
    bytesIn: () => 0,
    bytesOut: () => writer.stats.bytesWritten,
    kick: (reason) => {
      log.info('viewer kicked', { reason });
      writer.abort();
      detach();
    },
  };
  ctx.clients.register(client);
  ctx.events.emit({
    type: 'play-start', app: stream.app, stream: stream.name, clientId: who.id, protocol: who.protocol, clientAddress: who.address, atMs: connectedAtMs,
  });
  writer.writeControl(encodeFlvHeader({ hasAudio: stream.audioHeader !== null, hasVideo: stream.videoHeader !== null }));
  output.addViewer(viewer);
  return { writer, detach };
}

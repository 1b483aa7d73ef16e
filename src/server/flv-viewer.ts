// Attaches one HTTP-FLV or WebSocket-FLV viewer to its stream's shared FLV output: FLV
// header first, then headers and GOP, then live tags, all through one ConnectionWriter.
import { encodeFlvHeader } from '../flv/encode-flv.ts';
import type { LiveStream } from '../hub/live-stream.ts';
import { encodeFlvPacket, FLV_FORMAT } from '../outputs/encoders.ts';
import type { OutputViewer } from '../outputs/serialized-output.ts';
import type { Logger } from '../shared/logger.ts';
import { ConnectionWriter, type ByteSink } from './connection-writer.ts';
import type { EngineContext } from './engine-context.ts';

export interface FlvViewerHandle {
  readonly writer: ConnectionWriter;
  /** The client went away: leave the output. Idempotent. */
  detach(): void;
}

export function attachFlvViewer(ctx: EngineContext, stream: LiveStream, sink: ByteSink, log: Logger): FlvViewerHandle {
  const output = ctx.outputs.obtain(stream, FLV_FORMAT, encodeFlvPacket);
  let attached = true;
  const detach = (): void => {
    if (!attached) return;
    attached = false;
    output.removeViewer(viewer);
    writer.close();
  };
  const writer = new ConnectionWriter(sink, ctx.config().viewers, (reason) => {
    log.warn('viewer dropped', { reason });
    detach();
  });
  const viewer: OutputViewer = {
    sendControl: (bytes) => writer.writeControl(bytes),
    sendMedia: (bytes, randomAccess) => {
      writer.writeMedia(bytes, randomAccess);
    },
    // FLV has no in-band signal for a publisher restart; the next headers simply follow.
    onPublisherStart: () => {},
    onPublisherStop: () => {},
    onStreamEnd: () => {
      attached = false;
      writer.endGracefully();
    },
  };
  writer.writeControl(encodeFlvHeader({ hasAudio: stream.audioHeader !== null, hasVideo: stream.videoHeader !== null }));
  output.addViewer(viewer);
  return { writer, detach };
}

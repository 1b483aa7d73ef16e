// Pushes one live stream to one RTMP/RTMPS target: publishes with our ClientSession, then joins
// the stream as a viewer of a serialize-once output, so the target gets the metadata, the
// sequence headers and the current GOP first, then live media (the lifecycle, shared with the
// MPEG-TS forward, is forward-base.ts's). Its own ConnectionWriter bounds
// what it may hold: a slow target drops to the next keyframe and a stuck one is cut off, and
// neither ever touches the publisher or the viewers. It reconnects with backoff while the
// publisher that started it is still live, and stops for good when that publisher leaves.
import { rtmpPacketEncoder } from '../outputs/encoders.ts';
import type { WriterLimits } from '../server/connection-writer.ts';
import { ForwardBase, type ForwardBaseOptions } from './forward-base.ts';
import { RtmpClientConnection } from './rtmp-client-connection.ts';

const READY_TIMEOUT_MS = 10_000;
/** the chunk size ClientSession announces by default (forward outputs are keyed by it) */
const FORWARD_CHUNK_SIZE = 4096;

/** Output format family for forwards: their bytes are shared by every forward of a stream. */
export function forwardFormat(chunkSize: number, messageStreamId: number): string {
  return `forward:${chunkSize}:${messageStreamId}`;
}

export type StreamForwardOptions = ForwardBaseOptions &
  Readonly<{
    limits: WriterLimits;
    insecureTls: boolean;
    /** called once the forward has stopped for good */
    onStopped?: (forward: StreamForward) => void;
  }>;

export class StreamForward extends ForwardBase<RtmpClientConnection, number> {
  constructor(private readonly forwardOptions: StreamForwardOptions) {
    super(forwardOptions, {
      open: (events) =>
        new RtmpClientConnection({
          url: forwardOptions.url,
          role: 'publish',
          insecureTls: forwardOptions.insecureTls,
          limits: forwardOptions.limits,
          readyTimeoutMs: READY_TIMEOUT_MS,
          onEvent: (event) => {
            if (event.type === 'ready') events.onReady(event.streamId);
          },
          onBytesOut: events.onBytesOut,
          onBytesIn: events.onBytesIn,
          onClose: events.onClosed,
        }),
      join: (connection, messageStreamId) => {
        const writer = connection.writer;
        return {
          output: forwardOptions.outputs.obtain(
            forwardOptions.stream,
            forwardFormat(FORWARD_CHUNK_SIZE, messageStreamId),
            rtmpPacketEncoder(FORWARD_CHUNK_SIZE, messageStreamId),
          ),
          send: {
            sendControl: (bytes) => writer.writeControl(bytes),
            sendMedia: (bytes, randomAccess, entry) => {
              writer.writeMedia(bytes, randomAccess, entry);
            },
            sendBatch: (batch) => writer.writeBatch(batch),
          },
        };
      },
      dropped: (connection) => connection.writer.stats.droppedMessages,
    });
  }

  protected stoppedForGood(): void {
    this.forwardOptions.onStopped?.(this);
  }
}

// Pulls one stream from an RTMP or RTMPS server by playing it with our ClientSession.
import { FlvTagType } from '../flv/flv-tag-type.ts';
import type { ClientSessionEvent } from '../rtmp/client-session.ts';
import { DEFAULT_WRITER_LIMITS } from '../server/connection-writer.ts';
import { RtmpClientConnection } from './rtmp-client-connection.ts';
import { stripSetDataFrame } from './script-data.ts';
import type { PullClient, PullClientOptions, PullLog, PullPacketType, PullSink } from './pull-client.ts';

const READY_TIMEOUT_MS = 10_000;
/** an upstream that sends nothing this long after going live is considered dead */
const DEFAULT_STALL_TIMEOUT_MS = 15_000;

export function createRtmpPullClient(url: string, sink: PullSink, log: PullLog, options: PullClientOptions = {}): PullClient {
  let connection: RtmpClientConnection | null = null;
  let lastDataAtMs = 0;
  let stallTimer: ReturnType<typeof setInterval> | null = null;
  let reported = false;
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;

  const report = (error: string | null): void => {
    if (stallTimer) clearInterval(stallTimer);
    stallTimer = null;
    if (reported) return;
    reported = true;
    sink.onDisconnected(error);
  };

  const onEvent = (event: ClientSessionEvent): void => {
    switch (event.type) {
      case 'ready':
        log('play started');
        sink.onConnected();
        return;
      case 'media': {
        const { typeId, timestamp, payload } = event.message;
        if (payload.byteLength === 0) return;
        const type = typeId as PullPacketType;
        sink.onPacket(type, timestamp, type === FlvTagType.Script ? stripSetDataFrame(payload) : payload);
        return;
      }
      case 'stream-eof':
        connection?.fail('upstream ended the stream');
        return;
      case 'status':
        if (event.code === 'NetStream.Play.Stop' || event.code === 'NetStream.Play.UnpublishNotify') {
          connection?.fail(`upstream: ${event.code}`);
        }
        return;
      default:
        return;
    }
  };

  return {
    start() {
      try {
        connection = new RtmpClientConnection({
          url,
          role: 'play',
          insecureTls: options.insecureTls ?? false,
          limits: DEFAULT_WRITER_LIMITS,
          readyTimeoutMs: READY_TIMEOUT_MS,
          onEvent,
          onBytesIn: (n) => {
            lastDataAtMs = Date.now();
            sink.onBytes(n);
          },
          onClose: report,
        });
      } catch (error) {
        queueMicrotask(() => report((error as Error).message));
        return;
      }
      lastDataAtMs = Date.now();
      stallTimer = setInterval(() => {
        if (Date.now() - lastDataAtMs > stallTimeoutMs) connection?.fail(`no data from upstream for ${stallTimeoutMs} ms`);
      }, Math.min(1000, stallTimeoutMs));
      connection.start();
    },
    stop() {
      connection?.close();
      report(null);
    },
  };
}

// Pulls one stream over HTTP(S)-FLV: a streaming fetch whose body is demuxed incrementally.
// Only http(s) URLs are fetched (shared/upstream-url.ts), whoever configured the source.
import { FlvReader } from '../flv/flv-reader.ts';
import { checkFetchUrl } from '../shared/upstream-url.ts';
import { disconnectOnce, type PullClient, type PullClientOptions, type PullLog, type PullPacketType, type PullSink } from './pull-client.ts';

const DEFAULT_STALL_TIMEOUT_MS = 15_000;
const MEDIA_TAG_TYPES: ReadonlySet<number> = new Set([8, 9, 18]);

export function createFlvPullClient(url: string, sink: PullSink, log: PullLog, options: PullClientOptions = {}): PullClient {
  const abort = new AbortController();
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  let stopped = false;
  const { report } = disconnectOnce(sink);

  const run = async (): Promise<void> => {
    let stall: ReturnType<typeof setTimeout> | null = null;
    const arm = (): void => {
      if (stall) clearTimeout(stall);
      stall = setTimeout(() => abort.abort(new Error(`no data from upstream for ${stallTimeoutMs} ms`)), stallTimeoutMs);
    };
    try {
      checkFetchUrl(url, 'HTTP-FLV pull');
      arm();
      const response = await fetch(url, {
        signal: abort.signal,
        headers: { accept: 'video/x-flv, */*' },
        ...(options.insecureTls ? { tls: { rejectUnauthorized: false } } : {}),
      } as RequestInit);
      if (!response.ok || !response.body) throw new Error(`upstream answered HTTP ${response.status}`);
      log(`HTTP-FLV response ${response.status}`);
      const reader = new FlvReader();
      let connected = false;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        arm();
        sink.onBytes(chunk.byteLength);
        for (const tag of reader.push(chunk)) {
          if (!MEDIA_TAG_TYPES.has(tag.tagType) || tag.body.byteLength === 0) continue;
          if (!connected) {
            connected = true;
            sink.onConnected();
          }
          sink.onPacket(tag.tagType as PullPacketType, tag.timestampMs, tag.body);
        }
        if (stopped) break;
      }
      report(stopped ? null : 'upstream ended the stream');
    } catch (error) {
      if (stopped) report(null);
      else {
        const reason = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : (error as Error).message;
        report(reason);
      }
    } finally {
      if (stall) clearTimeout(stall);
    }
  };

  return {
    start() {
      void run();
    },
    stop() {
      stopped = true;
      abort.abort(new Error('stopped'));
      report(null);
    },
  };
}

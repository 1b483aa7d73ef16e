// Pulls one stream from an RTSP camera or server (rtsp:// and rtsps://, RFC 2326): one RtspPlaySession per attempt,
// over TCP interleaved by default or UDP with `?transport=udp`; a UDP session that gets no packet within a few seconds
// (a firewall, a NAT, a server that never sends) is replaced by a TCP one within the same attempt. Reconnects belong
// to the StreamPull machinery, like every pull client. Errors and logs never carry the URL's credentials.
import { redactSecrets, redactUrlsIn } from '../shared/redact-url.ts';
import { disconnectOnce, parseInStart, type PullClient, type PullClientOptions, type PullLog, type PullSink } from './pull-client.ts';
import { RtspPlaySession, type RtspPlayTimeouts } from './rtsp-play-session.ts';
import { parseRtspUrl, type RtspEndpoint, type RtspTransportChoice } from './rtsp-url.ts';

const DEFAULT_STALL_TIMEOUT_MS = 15_000;
const RESPONSE_TIMEOUT_MS = 10_000;
/** over UDP, no packet this long after PLAY switches to TCP */
export const UDP_FALLBACK_MS = 3_000;

export type RtspPullOptions = PullClientOptions & { udpFallbackMs?: number };

export function createRtspPullClient(url: string, sink: PullSink, log: PullLog, options: RtspPullOptions = {}): PullClient {
  let session: RtspPlaySession | null = null;
  let stopped = false;
  let started = false;
  const { report } = disconnectOnce(sink, redactUrlsIn);
  const timeouts: RtspPlayTimeouts = {
    responseMs: RESPONSE_TIMEOUT_MS,
    stallMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    udpFallbackMs: options.udpFallbackMs ?? UDP_FALLBACK_MS,
  };

  const attempt = async (endpoint: RtspEndpoint, transport: RtspTransportChoice): Promise<void> => {
    let connected = false;
    session = new RtspPlaySession(endpoint, transport, options.insecureTls ?? false, timeouts, {
      onTag: (tag) => sink.onPacket(tag.type, tag.timestampMs, tag.body),
      onPlaying: () => {
        if (connected) return;
        connected = true;
        sink.onConnected();
      },
      onBytes: (n) => sink.onBytes(n),
      log,
    });
    const end = await session.run();
    session = null;
    if (stopped) return report(null);
    if (end.kind === 'udp-silent') {
      log('RTSP: UDP gave nothing; retrying over TCP interleaved');
      return attempt(endpoint, 'tcp');
    }
    report(end.kind === 'error' ? end.reason : 'the server closed the connection');
  };

  return {
    start() {
      if (started) return;
      started = true;
      const endpoint = parseInStart(() => parseRtspUrl(url), report);
      if (!endpoint) return;
      log(`RTSP pull from ${redactSecrets(url)} over ${endpoint.transport.toUpperCase()}`);
      void attempt(endpoint, endpoint.transport).catch((error: unknown) => report((error as Error).message));
    },
    stop() {
      stopped = true;
      session?.stop();
      report(null);
    },
  };
}

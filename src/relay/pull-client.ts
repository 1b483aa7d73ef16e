/**
 * The contract every pull client honours (RTMP/RTMPS, HTTP-FLV, HLS).
 * A pull client fetches one upstream URL and hands FLV-style media
 * packets to its sink. It never reconnects by itself: the pull manager
 * owns retries (capped exponential backoff with jitter), so `start()`
 * makes exactly one attempt and ends with exactly one `onDisconnected`.
 */
import type { FlvTagType } from '../flv/flv-tag-type.ts';
import type { LinkStats } from '../shared/config-protocol.ts';

/** FLV tag types: 8 audio, 9 video, 18 script data (onMetaData) */
export type PullPacketType = FlvTagType;

export type PullSink = {
  /** one media message; body is the FLV tag body (same bytes as an RTMP message payload) */
  onPacket(type: PullPacketType, timestampMs: number, body: Uint8Array): void;
  /** upstream accepted us and media is about to flow */
  onConnected(): void;
  /** called once per start(): error null for a clean end (upstream finished / stop()) */
  onDisconnected(error: string | null): void;
  /** raw bytes received from the network (for the bytes-in counter) */
  onBytes(n: number): void;
};

export type PullLog = (message: string) => void;

export interface PullClient {
  /** begins one connection attempt; must not throw (report errors via onDisconnected) */
  start(): void;
  /** closes the connection; onDisconnected(null) follows if it was not already called */
  stop(): void;
  /** the transport's link figures while connected (SRT); absent for clients without them */
  link?(): LinkStats | null;
}

export type PullClientOptions = {
  /** rtmps:// and https:// only: skip certificate verification (self-signed upstreams, tests) */
  insecureTls?: boolean;
  /** an upstream silent this long once connected is dropped (and retried); default 15 s */
  stallTimeoutMs?: number;
};

export type PullClientFactory = (url: string, sink: PullSink, log: PullLog, options?: PullClientOptions) => PullClient;

/** The one onDisconnected of a start() (see PullSink); `reported` says whether it has gone out. */
export type DisconnectOnce = { readonly report: (error: string | null) => void; readonly reported: boolean };

/** The first report reaches the sink (its error through `clean`, e.g. to redact URLs); later ones are dropped. */
export function disconnectOnce(sink: PullSink, clean: (error: string) => string = (error) => error): DisconnectOnce {
  let reported = false;
  return {
    report: (error) => {
      if (reported) return;
      reported = true;
      sink.onDisconnected(error === null ? null : clean(error));
    },
    get reported() {
      return reported;
    },
  };
}

/**
 * Parses the pull URL inside start(), which must not throw: a bad URL ends the attempt through `report` on the next
 * microtask (after start() has returned, as a failed connect would), and the result is undefined.
 */
export function parseInStart<T>(parse: () => T, report: (error: string) => void): T | undefined {
  try {
    return parse();
  } catch (error) {
    queueMicrotask(() => report((error as Error).message));
    return undefined;
  }
}

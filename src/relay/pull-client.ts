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

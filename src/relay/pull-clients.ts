// Picks the pull client for a URL: rtmp(s):// plays with our RTMP client, http(s)://…m3u8 goes
// to the HLS pull client (registered by src/relay/hls-pull*.ts), any other http(s):// is FLV; rtsp(s):// plays with
// the RTSP client; srt:// calls an SRT listener and udp:// listens for MPEG-TS datagrams.
import { createFlvPullClient } from './flv-pull-client.ts';
import type { PullClient, PullClientFactory, PullClientOptions, PullLog, PullSink } from './pull-client.ts';
import { relaySchemeOf } from './relay-url.ts';
import { createRtmpPullClient } from './rtmp-pull-client.ts';
import { createRtspPullClient } from './rtsp-pull-client.ts';
import { createSrtPullClient } from './srt-pull-client.ts';
import { createUdpPullClient } from './udp-pull-client.ts';

let hlsFactory: PullClientFactory | null = null;

/** The HLS pull client plugs itself in here (kept apart so this file does not depend on it). */
export function registerHlsPullClient(factory: PullClientFactory): void {
  hlsFactory = factory;
}

export const createPullClient: PullClientFactory = (url: string, sink: PullSink, log: PullLog, options?: PullClientOptions): PullClient => {
  const scheme = relaySchemeOf(url);
  if (scheme === 'rtmp') return createRtmpPullClient(url, sink, log, options);
  if (scheme === 'rtsp') return createRtspPullClient(url, sink, log, options);
  if (scheme === 'srt') return createSrtPullClient(url, sink, log, options);
  if (scheme === 'udp') return createUdpPullClient(url, sink, log, options);
  if (scheme === 'http-flv') return createFlvPullClient(url, sink, log, options);
  if (scheme === 'hls' && hlsFactory) return hlsFactory(url, sink, log, options);
  const reason = scheme === 'hls' ? 'HLS pull is not available in this build' : `unsupported pull URL scheme: ${url.split(':')[0]}`;
  return {
    start: () => queueMicrotask(() => sink.onDisconnected(reason)),
    stop: () => undefined,
  };
};

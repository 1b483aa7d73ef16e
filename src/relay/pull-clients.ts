// Picks the pull client for a URL from one table of kinds: rtmp(s):// plays with our RTMP client,
// http(s)://…m3u8 with the HLS pull client, any other http(s):// is FLV, rtsp(s):// plays with the
// RTSP client, srt:// calls an SRT listener and udp:// listens for MPEG-TS datagrams. The table is
// typed by `RelayScheme`, so a new scheme does not compile until it has a client here.
import { createFlvPullClient } from './flv-pull-client.ts';
import { createHlsPullClient } from './hls-pull.ts';
import type { PullClient, PullClientFactory, PullClientOptions, PullLog, PullSink } from './pull-client.ts';
import { relaySchemeOf, type RelayScheme } from './relay-url.ts';
import { createRtmpPullClient } from './rtmp-pull-client.ts';
import { createRtspPullClient } from './rtsp-pull-client.ts';
import { createSrtPullClient } from './srt-pull-client.ts';
import { createUdpPullClient } from './udp-pull-client.ts';

export type PullClientKinds = Readonly<Record<RelayScheme, PullClientFactory>>;

export const PULL_CLIENT_KINDS: PullClientKinds = {
  rtmp: createRtmpPullClient,
  rtsp: createRtspPullClient,
  'http-flv': createFlvPullClient,
  hls: createHlsPullClient,
  srt: createSrtPullClient,
  udp: createUdpPullClient,
};

/** A factory that dispatches on the URL's scheme; a URL no kind speaks gets a client that disconnects with the reason. */
export function pullClientFactory(kinds: PullClientKinds): PullClientFactory {
  return (url: string, sink: PullSink, log: PullLog, options?: PullClientOptions): PullClient => {
    const scheme = relaySchemeOf(url);
    if (scheme !== null) return kinds[scheme](url, sink, log, options);
    const reason = `unsupported pull URL scheme: ${url.split(':')[0]}`;
    return {
      start: () => queueMicrotask(() => sink.onDisconnected(reason)),
      stop: () => undefined,
    };
  };
}

export const createPullClient: PullClientFactory = pullClientFactory(PULL_CLIENT_KINDS);

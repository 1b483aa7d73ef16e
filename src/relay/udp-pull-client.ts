// Takes MPEG-TS over UDP as a pull source: udp://ADDR:PORT binds a local unicast address (0.0.0.0
// for all), udp://GROUP:PORT?interface=ADDR joins an IPv4 multicast group on that interface. Every
// datagram is 188-byte TS packets (7 is usual, any whole number is read). There is no connection:
// the source is "live" once tracks are found, and a silence of stallTimeoutMs ends the attempt so
// StreamPull unpublishes the stream and tries again. Datagrams from any sender are taken, as
// ffmpeg and multicat do; bind to a specific address or group to narrow who can reach it.
import type { udp } from 'bun';
import { parseUdpLinkUrl, type UdpLinkEndpoint } from '../shared/ts-link-url.ts';
import { parseInStart, type PullClient, type PullClientOptions, type PullLog, type PullSink } from './pull-client.ts';
import { TsPullFeed } from './ts-pull-feed.ts';

const DEFAULT_STALL_TIMEOUT_MS = 15_000;
/** checks for silence this often */
const STALL_CHECK_MS = 500;

type Socket = udp.Socket<'uint8array'>;

export function createUdpPullClient(url: string, sink: PullSink, log: PullLog, options: PullClientOptions = {}): PullClient {
  let socket: Socket | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let reported = false;
  let stopped = false;
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;

  const end = (error: string | null): void => {
    if (reported) return;
    reported = true;
    if (timer) clearInterval(timer);
    timer = null;
    socket?.close();
    socket = null;
    sink.onDisconnected(error);
  };

  const open = async (endpoint: UdpLinkEndpoint): Promise<void> => {
    const feed = new TsPullFeed(sink, log);
    let lastDataMs = Date.now();
    let heard = false;
    const opened = await Bun.udpSocket({
      // a multicast group is joined on a socket bound to the group's port on every address
      hostname: endpoint.multicast ? '0.0.0.0' : endpoint.host,
      port: endpoint.port,
      binaryType: 'uint8array',
      socket: {
        data: (_s, data) => {
          if (reported) return;
          lastDataMs = Date.now();
          heard = true;
          sink.onBytes(data.byteLength);
          const error = feed.push([data]);
          if (error !== null) end(error);
        },
        error: () => {},
      },
    });
    if (reported || stopped) {
      opened.close();
      return;
    }
    socket = opened;
    if (endpoint.multicast && !opened.addMembership(endpoint.host, endpoint.interfaceAddress ?? undefined)) {
      return end(`could not join multicast group ${endpoint.host}${endpoint.interfaceAddress ? ` on ${endpoint.interfaceAddress}` : ''}`);
    }
    log(`UDP MPEG-TS listening on ${endpoint.host}:${endpoint.port}${endpoint.multicast ? ' (multicast)' : ''}`);
    timer = setInterval(() => {
      if (Date.now() - lastDataMs < stallMs) return;
      end(heard ? `no UDP datagram for ${stallMs} ms` : `nothing received on ${endpoint.host}:${endpoint.port} for ${stallMs} ms`);
    }, STALL_CHECK_MS);
  };

  return {
    start() {
      if (socket || reported) return;
      const endpoint = parseInStart(() => parseUdpLinkUrl(url), end);
      if (!endpoint) return;
      void open(endpoint).catch((err: unknown) => end(`cannot listen on udp://${endpoint.host}:${endpoint.port}: ${(err as Error).message ?? String(err)}`));
    },
    stop() {
      stopped = true;
      end(null);
    },
  };
}

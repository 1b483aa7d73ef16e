// Pulls MPEG-TS from an SRT listener (srt://HOST:PORT?streamid=…&passphrase=…&latency=MS): Weir is
// the caller and the receiver, with TSBPD, ARQ and decryption in src/srt. One connection per
// start(); StreamPull owns reconnects. Errors never carry the passphrase (they never quote the URL).
import { parseSrtLinkUrl } from '../shared/ts-link-url.ts';
import { disconnectOnce, parseInStart, type PullClient, type PullClientOptions, type PullLog, type PullSink } from './pull-client.ts';
import { SrtCallerLink } from './srt-caller-link.ts';
import { TsPullFeed } from './ts-pull-feed.ts';

export function createSrtPullClient(url: string, sink: PullSink, log: PullLog, _options: PullClientOptions = {}): PullClient {
  let link: SrtCallerLink | null = null;
  const disconnect = disconnectOnce(sink);
  const report = disconnect.report;
  return {
    start() {
      if (link || disconnect.reported) return;
      const endpoint = parseInStart(() => parseSrtLinkUrl(url), report);
      if (!endpoint) return;
      const feed = new TsPullFeed(sink, log);
      let failed: string | null = null;
      log(`SRT pull from ${endpoint.host}:${endpoint.port}${endpoint.passphrase !== null ? ' (encrypted)' : ''}, latency ${endpoint.latencyMs} ms`);
      const current: SrtCallerLink = new SrtCallerLink(endpoint, {
        onConnected: () => log('SRT connected'),
        onDeliver: (payloads) => {
          const error = feed.push(payloads);
          if (error !== null && failed === null) {
            failed = error;
            current.close();
          }
        },
        onClosed: (error) => {
          if (failed === null) feed.flush();
          report(failed ?? error);
        },
        onBytesIn: (n) => sink.onBytes(n),
        onBytesOut: () => {},
      });
      link = current;
      current.start();
    },
    stop() {
      link?.close();
      report(null);
    },
    link: () => link?.link('in') ?? null,
  };
}

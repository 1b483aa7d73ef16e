// The pull kinds are one explicit table (no client registers itself by a side-effect import):
// every scheme the relay recognizes has a client, and each URL reaches its own kind.
import { describe, expect, test } from 'bun:test';
import type { PullClientFactory } from '../../src/relay/pull-client.ts';
import { createPullClient, PULL_CLIENT_KINDS, pullClientFactory, type PullClientKinds } from '../../src/relay/pull-clients.ts';
import { RELAY_SCHEMES, relaySchemeOf, type RelayScheme } from '../../src/relay/relay-url.ts';

const SAMPLE_URLS: Record<RelayScheme, string> = {
  rtmp: 'rtmp://127.0.0.1:1/live/s',
  rtsp: 'rtsp://127.0.0.1:1/live/s',
  'http-flv': 'http://127.0.0.1:1/live/s.flv',
  hls: 'http://127.0.0.1:1/live/s/index.m3u8',
  srt: 'srt://127.0.0.1:1?streamid=s',
  udp: 'udp://127.0.0.1:1',
};

const sink = { onPacket: () => undefined, onConnected: () => undefined, onBytes: () => undefined, onDisconnected: () => undefined };

describe('pull client kinds', () => {
  test('every relay scheme has a pull client in the table', () => {
    for (const scheme of RELAY_SCHEMES) expect(typeof PULL_CLIENT_KINDS[scheme]).toBe('function');
    expect(Object.keys(PULL_CLIENT_KINDS).sort()).toEqual([...RELAY_SCHEMES].sort());
  });

  test('each URL reaches the kind of its scheme', () => {
    const called: string[] = [];
    const spy = (scheme: RelayScheme): PullClientFactory => () => {
      called.push(scheme);
      return { start: () => undefined, stop: () => undefined };
    };
    const kinds = Object.fromEntries(RELAY_SCHEMES.map((s) => [s, spy(s)])) as unknown as PullClientKinds;
    const create = pullClientFactory(kinds);
    for (const scheme of RELAY_SCHEMES) {
      expect(relaySchemeOf(SAMPLE_URLS[scheme])).toBe(scheme);
      create(SAMPLE_URLS[scheme], sink, () => undefined);
    }
    expect(called).toEqual([...RELAY_SCHEMES]);
  });

  test('the default factory speaks HLS without any other module imported first', async () => {
    const reason = await new Promise<string>((resolve) => {
      const client = createPullClient(SAMPLE_URLS.hls, { ...sink, onDisconnected: (e: string | null) => resolve(e ?? 'stopped') }, () => undefined);
      client.start();
      setTimeout(() => {
        client.stop();
        resolve('still running');
      }, 2000).unref();
    });
    expect(reason).not.toContain('not available');
  });

  test('a URL no kind speaks disconnects with the reason', async () => {
    const reason = await new Promise<string>((resolve) => createPullClient('file:///etc/passwd', { ...sink, onDisconnected: (e: string | null) => resolve(e ?? 'stopped') }, () => undefined).start());
    expect(reason).toBe('unsupported pull URL scheme: file');
  });
});

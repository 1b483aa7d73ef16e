// The light WHEP viewers of bench/lib/webrtc-load-client.ts against a real engine: ICE, DTLS (our client against our
// server over UDP) and SRTP work end to end, every viewer counts packets and keyframes with no loss on loopback,
// the engine hears their receiver reports, DELETE ends the sessions; and a viewer whose SRTP is corrupted on the
// way (a relay flips a payload byte) fails instead of counting garbage. The engine's ICE timeout is 2 s here: consent
// checks alone keep a viewer's session, and a viewer that sends nothing loses it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { WhepLoadClient } from '../../bench/lib/webrtc-load-client.ts';
import { killAll, publishPattern, publishPatternUntilVideo, startTestEngine, waitFor, type TestEngine } from '../e2e/harness.ts';

let engine: TestEngine;
let publisher: Awaited<ReturnType<typeof publishPattern>>;
const path = 'live/load';

beforeAll(async () => {
  engine = startTestEngine({ waitForPublisherMs: 5000, webrtc: { maxSessionsPerAddress: 0, iceTimeoutMs: 2000 } });
  await engine.ready;
  publisher = await publishPatternUntilVideo(engine, path, { seconds: 90, bFrames: 0, gop: 25 });
}, 40_000);

afterAll(async () => {
  await publisher?.stop();
  await killAll();
  engine?.stop();
});

const webrtcClients = () => engine.context.clients.list().filter((c) => c.protocol === 'webrtc');

describe('WHEP load client', () => {
  test('viewers connect, receive authenticated SRTP with keyframes and no loss, report back, and DELETE at the end', async () => {
    const client = new WhepLoadClient({ whepUrl: engine.httpUrl(`${path}/whep`), sampleFirst: 20, sampleEvery: 10 });
    try {
      await client.open(4);
      expect(client.counts().map((c) => c.failure)).toEqual([null, null, null, null]);
      expect(webrtcClients()).toHaveLength(4);
      // GOP 1 s: three keyframes each is about three seconds of stream
      const ready = await waitFor(() => client.counts().every((c) => c.keyframes >= 3 && c.verified >= 40), 30_000, 100);
      const counts = client.counts();
      expect(ready).toBe(true);
      for (const c of counts) {
        expect(c.connected).toBe(true);
        expect(c.failure).toBeNull();
        expect(c.lost).toBe(0);
        expect(c.bytes).toBeGreaterThan(c.packets * 12);
      }
      // our SRTCP receiver reports reach the engine and decrypt there (its link stats come from them)
      const reported = await waitFor(() => webrtcClients().every((c) => (c.link?.rttMs ?? 0) > 0), 10_000, 100);
      expect(reported).toBe(true);
    } finally {
      await client.close();
    }
    expect(await waitFor(() => webrtcClients().length === 0, 5000)).toBe(true);
  }, 60_000);

  test('consent checks alone keep the session past the ICE timeout; silence loses it', async () => {
    const kept = new WhepLoadClient({ whepUrl: engine.httpUrl(`${path}/whep`), consentIntervalMs: 500, reportIntervalMs: 1e9 });
    const silent = new WhepLoadClient({ whepUrl: engine.httpUrl(`${path}/whep`), consentIntervalMs: 1e9, reportIntervalMs: 1e9 });
    try {
      await kept.open(1);
      await silent.open(1);
      expect(webrtcClients()).toHaveLength(2);
      // the silent one is swept (2 s timeout, swept every 0.5 s); the other stays well past that
      expect(await waitFor(() => webrtcClients().length === 1, 10_000, 100)).toBe(true);
      const packets = kept.counts()[0]!.packets;
      await Bun.sleep(3000);
      expect(webrtcClients()).toHaveLength(1);
      expect(kept.counts()[0]!.packets).toBeGreaterThan(packets);
      expect(kept.counts()[0]!.failure).toBeNull();
    } finally {
      await kept.close();
      await silent.close();
    }
  }, 60_000);

  test('a viewer fed corrupted SRTP fails with an authentication error', async () => {
    const relay = await corruptingRelay();
    const client = new WhepLoadClient({ whepUrl: `${relay.httpUrl}/${path}/whep`, sampleFirst: 20, sampleEvery: 10 });
    try {
      await client.open(1);
      const failed = await waitFor(() => client.counts()[0]!.failure !== null, 20_000, 100);
      expect(failed).toBe(true);
      expect(client.counts()[0]!.failure).toMatch(/authenticate/);
      expect(relay.corrupted()).toBeGreaterThan(0);
    } finally {
      await client.close();
      relay.stop();
    }
    // its DELETE went through the relay's HTTP side to the engine
    expect(await waitFor(() => webrtcClients().length === 0, 5000)).toBe(true);
  }, 60_000);
});

/**
 * WHEP through a relay: HTTP is forwarded to the engine with the answer's candidate rewritten to a UDP relay, which
 * forwards datagrams both ways and flips one payload byte of every RTP packet from the engine.
 */
async function corruptingRelay() {
  let corrupted = 0;
  let clientAddr: { address: string; port: number } | null = null;
  /** the engine's WebRTC port, from the answer the relay rewrites */
  let enginePort = 0;
  // A UDP relay between the viewer and the engine; its socket set-up is alike in shape to the openssl tests' (Bun.udpSocket's options), not a repeated behaviour.
  const upstream = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    binaryType: 'uint8array',
    socket: {
      data: (_s, data) => {
        if (!clientAddr) return;
        const out = Uint8Array.from(data);
        if (out[0]! >= 128 && out[0]! < 192 && !(out[1]! >= 192 && out[1]! <= 223) && out.length > 30) {
          out[20]! ^= 0x55;
          corrupted++;
        }
        downstream.send(out, clientAddr.port, clientAddr.address);
      },
    },
  });
  const downstream = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    binaryType: 'uint8array',
    socket: {
      data: (_s, data, port, address) => {
        clientAddr = { address, port };
        upstream.send(data, enginePort, '127.0.0.1');
      },
    },
  });
  const http = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req) => {
      const url = new URL(req.url);
      const res = await fetch(engine.httpUrl(url.pathname.slice(1)), { method: req.method, headers: req.headers, body: req.method === 'POST' ? await req.text() : null });
      let body = await res.text();
      const candidate = / 127\.0\.0\.1 (\d+) typ host/.exec(body);
      if (candidate) {
        enginePort = Number(candidate[1]);
        body = body.replaceAll(` 127.0.0.1 ${candidate[1]} typ host`, ` 127.0.0.1 ${downstream.port} typ host`);
      }
      return new Response(body, { status: res.status, headers: res.headers });
    },
  });
  return {
    httpUrl: `http://127.0.0.1:${http.port}`,
    corrupted: () => corrupted,
    stop: () => {
      http.stop(true);
      upstream.close();
      downstream.close();
    },
  };
}

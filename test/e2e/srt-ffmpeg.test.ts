// SRT at the edge with real libsrt (ffmpeg/ffprobe): publish MPEG-TS over SRT and play it back
// over SRT, RTMP, HTTP-FLV and HLS; passphrases both ways; admission refusals; a handshake
// flood from many ports (SYN cookies: no state per induction) and the connection cap; kick and
// viewer counts through the engine API.
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { startEngine } from '../../src/engine/engine-runtime.ts';
import type { AdmissionDecision, AdmissionRequest } from '../../src/server/admission.ts';
import { mpegtsPacketEncoder, MPEGTS_FORMAT } from '../../src/outputs/mpegts-encoder.ts';
import type { EngineApi } from '../../src/engine/engine-api.ts';
import { DEFAULT_ENGINE_CONFIG, DEFAULT_SRT_SETTINGS } from '../../src/shared/engine-config.ts';
import { SrtRejectCode } from '../../src/server/srt/srt-listener.ts';
import { createLogger } from '../../src/shared/logger.ts';
import type { LiveStreamState, ClientState } from '../../src/shared/config-protocol.ts';
import { decodePacket, encodePacket, HandshakeType, SrtCallerHandshake, type SrtPacket } from '../../src/srt/index.ts';
import { startEngineApi } from './managed-engine.ts';
import { expectMeasuredRtt } from './srt-link-expect.ts';
import { decode, freePort, killAll, probe, run, spawnBackground, startTestEngine, testPatternArgs, waitFor, type TestEngine } from './harness.ts';

const engines: TestEngine[] = [];
const apis: EngineApi[] = [];
afterEach(async () => {
  await killAll();
  for (const api of apis.splice(0)) api.stop();
  for (const engine of engines.splice(0)) engine.stop();
});
afterAll(killAll);

async function srtEngine(srt: { passphrase?: string; maxConnectionsPerAddress?: number } = {}): Promise<{ engine: TestEngine; port: number }> {
  const port = freePort();
  const engine = startTestEngine({ srt: { port, passphrase: srt.passphrase ?? null, ...(srt.maxConnectionsPerAddress !== undefined ? { maxConnectionsPerAddress: srt.maxConnectionsPerAddress } : {}) } });
  engines.push(engine);
  await engine.ready;
  return { engine, port };
}

function srtUrl(port: number, path: string, mode: 'publish' | 'request', passphrase?: string): string {
  const secret = passphrase === undefined ? '' : `passphrase=${encodeURIComponent(passphrase)}&`;
  return `srt://127.0.0.1:${port}?${secret}streamid=#!::r=${path},m=${mode}`;
}

function publishSrt(url: string, seconds: number) {
  return spawnBackground(['ffmpeg', ...testPatternArgs({ seconds, bFrames: 0 }), '-f', 'mpegts', url]);
}

const live = (engine: TestEngine, path: string) => engine.context.streams.list().some((s) => s.path === path && s.started && s.publisher !== null);

function startApi(engine: TestEngine) {
  const api = startEngineApi(engine, 's3cret-s3cret');
  apis.push(api);
  return (method: string, path: string) => fetch(`http://127.0.0.1:${api.port}${path}`, { method, headers: { Authorization: 'Bearer s3cret-s3cret' } });
}

describe('SRT with ffmpeg', () => {
  test('ffmpeg publishes over SRT; it plays back over SRT, RTMP, HTTP-FLV and HLS with both tracks; SRT viewers are counted with their link figures; kicks end a viewer and the publisher', async () => {
    const { engine, port } = await srtEngine();
    const api = startApi(engine);
    const publisher = publishSrt(srtUrl(port, 'live/cam', 'publish'), 40);
    expect(await waitFor(() => live(engine, 'live/cam'), 15_000)).toBe(true);

    // two SRT viewers stay connected while the other outputs are checked: both show in /v1/streams,
    // and they share one MPEG-TS output that encodes each hub packet once
    const viewerArgs = ['ffmpeg', '-hide_banner', '-v', 'error', '-i', srtUrl(port, 'live/cam', 'request'), '-t', '25', '-f', 'null', '-'];
    const viewers = [spawnBackground(viewerArgs), spawnBackground(viewerArgs)];
    let states: LiveStreamState[] = [];
    const counted = await waitFor(() => {
      // a poll that fails is retried on the next one, never left unhandled
      api('GET', '/v1/streams').then(async (r) => (states = (await r.json()) as LiveStreamState[])).catch(() => {});
      return states[0]?.viewers.srt === 2;
    }, 15_000, 100);
    expect(counted).toBe(true);
    const stream = engine.context.streams.list()[0]!;
    expect(engine.context.outputs.countViewers(stream)[MPEGTS_FORMAT]).toBe(2);
    const shared = engine.context.outputs.obtain(stream, MPEGTS_FORMAT, mpegtsPacketEncoder());
    expect(shared.viewerCount).toBe(2);
    expect(shared.packetsEncoded).toBeLessThanOrEqual(stream.counters.packetsIn);
    const srtClients = engine.context.clients.list().filter((c) => c.protocol === 'srt');
    expect(srtClients.map((c) => c.role).sort()).toEqual(['publisher', 'viewer', 'viewer']);

    const urls = [
      srtUrl(port, 'live/cam', 'request'),
      engine.rtmpUrl('live/cam'),
      engine.httpUrl('live/cam.flv'),
      engine.httpUrl('live/cam/index.m3u8'),
    ];
    for (const url of urls) {
      const probed = await probe(url, { seconds: 2 });
      expect({ url, codecs: probed.streams.map((s) => s.codec_name).sort() }).toEqual({ url, codecs: ['aac', 'h264'] });
      const decoded = await decode(url, 2);
      expect({ url, stderr: decoded.stderr, exitCode: decoded.exitCode }).toEqual({ url, stderr: '', exitCode: 0 });
    }
    // one MPEG-TS mux for the stream, however many SRT viewers came and went
    expect(engine.context.streams.list()[0]!.counters.bytesOut).toBeGreaterThan(0);

    const clients = (await (await api('GET', '/v1/clients')).json()) as ClientState[];
    const pub = clients.find((c) => c.protocol === 'srt' && c.role === 'publisher');
    expect(pub).toBeDefined();
    expect(pub!.bytesIn).toBeGreaterThan(10_000);
    // the link figures of SRT clients: RTT from ACK/ACKACK, a receive rate near the 460 kbit/s published
    expect(pub!.link).toBeDefined();
    expectMeasuredRtt(pub!.link!.rttMs);
    expect(pub!.link!.receiveRateBps).toBeGreaterThan(100_000);
    expect(pub!.link!.packetsLost).toBe(0);
    for (const viewer of clients.filter((c) => c.protocol === 'srt' && c.role === 'viewer')) expectMeasuredRtt(viewer.link!.rttMs);
    // a viewer's bitrate is what it is sent; a kicked viewer is gone from the list and the count
    const srtViewers = clients.filter((c) => c.protocol === 'srt' && c.role === 'viewer');
    expect(srtViewers.every((c) => c.link!.sendRateBps > 100_000)).toBe(true);
    expect((await api('DELETE', `/v1/clients/${srtViewers[0]!.id}`)).status).toBe(204);
    expect(engine.context.clients.get(srtViewers[0]!.id)).toBeUndefined();
    expect(await waitFor(() => engine.context.clients.list().filter((c) => c.protocol === 'srt' && c.role === 'viewer').length === srtViewers.length - 1, 5_000)).toBe(true);
    expect((await api('DELETE', `/v1/clients/${pub!.id}`)).status).toBe(204);
    // the shutdown reaches ffmpeg, which gives up well before its 40 s of pattern are over
    const exited = await Promise.race([publisher.proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
    expect(exited).toBe(true);
    expect(engine.context.streams.list().some((s) => s.publisher !== null)).toBe(false);
    expect(engine.logs.some((l) => l.includes('connection kicked') && l.includes('protocol=srt'))).toBe(true);
    for (const viewer of viewers) await viewer.stop();
  });

  test('with a passphrase: the right one is admitted, a wrong one and none are refused, to publish and to play', async () => {
    const passphrase = 'correct-horse-battery';
    const { engine, port } = await srtEngine({ passphrase });
    const publisher = publishSrt(srtUrl(port, 'live/enc', 'publish', passphrase), 30);
    expect(await waitFor(() => live(engine, 'live/enc'), 15_000)).toBe(true);
    const played = await probe(srtUrl(port, 'live/enc', 'request', passphrase), { seconds: 2 });
    expect(played.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);

    for (const given of ['wrong-horse-battery', undefined]) {
      const refusedPublish = await run(['ffmpeg', ...testPatternArgs({ seconds: 5, bFrames: 0 }), '-f', 'mpegts', srtUrl(port, 'live/other', 'publish', given)], 20_000);
      expect(refusedPublish.exitCode).not.toBe(0);
      expect(engine.context.streams.list().some((s) => s.path === 'live/other' && s.publisher !== null)).toBe(false);
      const refusedPlay = await probe(srtUrl(port, 'live/enc', 'request', given), { seconds: 2 });
      expect(refusedPlay.streams).toEqual([]);
      expect(refusedPlay.exitCode).not.toBe(0);
    }
    expect(engine.srt!.stats.refused).toBe(4);
    expect(engine.logs.filter((l) => l.includes('encryption mismatch: wrong passphrase')).length).toBe(2);
    expect(engine.logs.filter((l) => l.includes('encryption mismatch: caller does not encrypt')).length).toBe(2);
    // the refusals cost nothing: the one publisher is the only connection left
    expect(engine.srt!.sessions.size).toBe(1);
    await publisher.stop();
  });

  test('drain: the SRT publisher and viewer connections end with a shutdown and the drain finishes in time', async () => {
    const { engine, port } = await srtEngine();
    const publisher = publishSrt(srtUrl(port, 'live/drain', 'publish'), 40);
    expect(await waitFor(() => live(engine, 'live/drain'), 15_000)).toBe(true);
    const viewer = spawnBackground(['ffmpeg', '-hide_banner', '-v', 'error', '-i', srtUrl(port, 'live/drain', 'request'), '-f', 'null', '-']);
    expect(await waitFor(() => engine.srt!.sessions.size === 2, 15_000)).toBe(true);
    engines.splice(engines.indexOf(engine), 1);
    const report = await engine.drain(5000);
    expect(report.drained).toBe(true);
    expect(engine.srt!.sessions.size).toBe(0);
    expect(engine.context.clients.size).toBe(0);
    // both ffmpeg processes hear the shutdown and end on their own
    const ended = await Promise.race([Promise.all([publisher.proc.exited, viewer.proc.exited]).then(() => true), Bun.sleep(15_000).then(() => false)]);
    expect(ended).toBe(true);
  });

  test('admission sees protocol srt and the stream id query (#!:: keys and the plain app/stream?query form); HEVC publishes and plays back', async () => {
    const port = freePort();
    const asked: AdmissionRequest[] = [];
    const admission = { decide: async (request: AdmissionRequest): Promise<AdmissionDecision> => (asked.push(request), { allow: true }) };
    const logs: string[] = [];
    const engine = startEngine(
      {
        ...DEFAULT_ENGINE_CONFIG,
        rtmp: { ...DEFAULT_ENGINE_CONFIG.rtmp, host: '127.0.0.1', port: 0 },
        http: { ...DEFAULT_ENGINE_CONFIG.http, host: '127.0.0.1', port: 0 },
        srt: { ...DEFAULT_SRT_SETTINGS, host: '127.0.0.1', port },
      },
      { admission, logger: createLogger({ level: 'debug', sink: (line) => logs.push(line) }) },
    );
    try {
      await engine.ready;
      const hevc = testPatternArgs({ seconds: 30, bFrames: 0 }).map((a) => (a === 'libx264' ? 'libx265' : a));
      const publisher = spawnBackground(['ffmpeg', ...hevc, '-x265-params', 'log-level=error', '-f', 'mpegts', `srt://127.0.0.1:${port}?streamid=#!::r=live/hevc,m=publish,key=secret1`]);
      expect(await waitFor(() => engine.context.streams.list().some((s) => s.path === 'live/hevc' && s.started), 20_000)).toBe(true);
      const played = await probe(`srt://127.0.0.1:${port}?streamid=live/hevc?token=abc`, { seconds: 2 });
      expect(played.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'hevc']);
      // and through the hub into the other outputs (this ffmpeg reads HEVC over HLS, not Enhanced RTMP)
      const hls = await probe(`http://127.0.0.1:${engine.httpPort}/live/hevc/index.m3u8`, { seconds: 2 });
      expect(hls.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'hevc']);
      const srtAsked = asked.filter((r) => r.protocol === 'srt').map((r) => ({ action: r.action, app: r.app, stream: r.stream, query: r.query }));
      expect(srtAsked).toEqual([
        { action: 'publish', app: 'live', stream: 'hevc', query: 'key=secret1' },
        { action: 'play', app: 'live', stream: 'hevc', query: 'token=abc' },
      ]);
      expect(asked.filter((r) => r.protocol === 'srt').every((r) => r.clientAddress === '127.0.0.1' && /^c\d+$/.test(r.clientId ?? ''))).toBe(true);
      await publisher.stop();
    } finally {
      engine.stop();
    }
  });

  test('admission: an app not in the list is refused before any connection, to publish and to play', async () => {
    const { engine, port } = await srtEngine();
    const refusedPublish = await run(['ffmpeg', ...testPatternArgs({ seconds: 5, bFrames: 0 }), '-f', 'mpegts', srtUrl(port, 'nope/cam', 'publish')], 20_000);
    expect(refusedPublish.exitCode).not.toBe(0);
    const refusedPlay = await probe(srtUrl(port, 'nope/cam', 'request'), { seconds: 2 });
    expect(refusedPlay.streams).toEqual([]);
    expect(engine.srt!.stats.refused).toBe(2);
    expect(engine.logs.filter((l) => l.includes('SRT connection refused') && l.includes(`code=${SrtRejectCode.Forbidden}`) && l.includes("unknown app 'nope'")).length).toBe(2);
    expect(engine.context.streams.list()).toEqual([]);
    expect(engine.srt!.slots.total).toBe(0);
  });
});

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const nowUs = () => Math.round(performance.now() * 1000);

async function udpClient(onPacket: (p: SrtPacket) => void) {
  return Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    binaryType: 'uint8array',
    socket: {
      data: (_s, data) => {
        try {
          onPacket(decodePacket(data));
        } catch {
          // the test counts what decodes; the engine sends nothing else
        }
      },
    },
  });
}

describe('a slow SRT viewer', () => {
  test('a viewer that takes 4 packets and acknowledges none skips to keyframes, then is cut; the publisher and a good viewer go on', async () => {
    const { engine, port } = await srtEngine();
    const publisher = publishSrt(srtUrl(port, 'live/slow', 'publish'), 40);
    expect(await waitFor(() => live(engine, 'live/slow'), 15_000)).toBe(true);
    const caller = new SrtCallerHandshake({ socketId: 0x510e, initialSeq: 100, peerAddress: '127.0.0.1', streamId: '#!::r=live/slow,m=request', flowWindow: 4, randomBytes: rnd });
    let peerSocketId: number | null = null;
    let dataPackets = 0;
    let shutdown = false;
    const socket = await udpClient((p) => {
      if (peerSocketId === null) {
        const r = caller.receive(p, nowUs());
        for (const out of r.send) socket.send(encodePacket(out), port, '127.0.0.1');
        if (r.done) peerSocketId = r.done.peerSocketId;
        return;
      }
      if (p.type === 'data') dataPackets++;
      if (p.type === 'shutdown') shutdown = true;
    });
    for (const p of caller.start(nowUs())) socket.send(encodePacket(p), port, '127.0.0.1');
    // keepalives only: alive, but never acknowledging, so nothing past its 4-packet window goes out
    const keepalive = setInterval(() => {
      if (peerSocketId !== null) socket.send(encodePacket({ type: 'keepalive', timestampUs: 0, destSocketId: peerSocketId }), port, '127.0.0.1');
    }, 300);
    try {
      const good = decode(srtUrl(port, 'live/slow', 'request'), 14);
      expect(await waitFor(() => shutdown, 25_000, 100)).toBe(true);
      expect(dataPackets).toBeGreaterThan(0);
      expect(engine.logs.some((l) => l.includes('viewer dropped: too far behind'))).toBe(true);
      expect(engine.context.counters.writers!.slowDisconnects).toBe(1);
      expect(engine.context.counters.writers!.droppedMessages).toBeGreaterThan(0);
      const decoded = await good;
      expect({ stderr: decoded.stderr, exitCode: decoded.exitCode }).toEqual({ stderr: '', exitCode: 0 });
      expect(live(engine, 'live/slow')).toBe(true);
    } finally {
      clearInterval(keepalive);
      socket.close();
      await publisher.stop();
    }
  });
});

describe('SRT listener under a handshake flood', () => {
  test('inductions from 300 source ports are each answered with a cookie and leave no state; bad cookies are dropped unanswered', async () => {
    const { engine, port } = await srtEngine();
    let answers = 0;
    let badAnswers = 0;
    const sockets = [];
    for (let i = 0; i < 300; i++) {
      const caller = new SrtCallerHandshake({ socketId: 1000 + i, initialSeq: 1, peerAddress: '127.0.0.1', streamId: '#!::r=live/x,m=request', randomBytes: rnd });
      const socket = await udpClient((p) => {
        if (p.type === 'handshake' && p.handshake.handshakeType === HandshakeType.Induction && p.handshake.synCookie !== 0) answers++;
        else badAnswers++;
      });
      sockets.push(socket);
      for (const p of caller.start(nowUs())) socket.send(encodePacket(p), port, '127.0.0.1');
      // in bursts of 50: the test counts answers, and loopback drops what overflows a socket buffer
      if (i % 50 === 49) expect(await waitFor(() => answers === i + 1, 10_000)).toBe(true);
    }
    expect(answers).toBe(300);
    // a conclusion with a made-up cookie, from every port: silently dropped
    for (const [i, socket] of sockets.entries()) {
      const conclusion: SrtPacket = {
        type: 'handshake',
        timestampUs: 0,
        destSocketId: 0,
        handshake: {
          version: 5, encryptionField: 0, extensionField: 1, initialSeq: 1, mtu: 1500, flowWindow: 8192,
          handshakeType: HandshakeType.Conclusion, socketId: 1000 + i, synCookie: 0x1234_5678, peerIp: '127.0.0.1',
          extensions: [{ type: 'hsreq', srtVersion: 0x010500, flags: 0xbf, recvLatencyMs: 120, sendLatencyMs: 120 }],
        },
      };
      socket.send(encodePacket(conclusion), port, '127.0.0.1');
      if (i % 50 === 49) expect(await waitFor(() => engine.srt!.stats.handshakes === 300 + i + 1, 10_000)).toBe(true);
    }
    expect(engine.srt!.stats.handshakes).toBe(600);
    expect(badAnswers).toBe(0);
    expect(engine.srt!.sessions.size).toBe(0);
    expect(engine.srt!.slots.total).toBe(0);
    expect(engine.context.clients.size).toBe(0);
    for (const socket of sockets) socket.close();
  });

  test('routing: a repeated conclusion is answered again by its connection, garbage costs only itself, a silent caller times out and frees its slot', async () => {
    const { engine, port } = await srtEngine();
    const caller = new SrtCallerHandshake({ socketId: 0x3000, initialSeq: 9, peerAddress: '127.0.0.1', streamId: '#!::r=live/quiet,m=publish', randomBytes: rnd });
    let conclusion: SrtPacket | undefined;
    const answers: SrtPacket[] = [];
    let done = false;
    const socket = await udpClient((p) => {
      if (done) {
        if (p.type === 'handshake') answers.push(p);
        return;
      }
      const r = caller.receive(p, nowUs());
      for (const out of r.send) {
        if (out.type === 'handshake') conclusion = out;
        socket.send(encodePacket(out), port, '127.0.0.1');
      }
      if (r.done) done = true;
    });
    for (const p of caller.start(nowUs())) socket.send(encodePacket(p), port, '127.0.0.1');
    expect(await waitFor(() => done, 10_000)).toBe(true);
    expect(engine.srt!.sessions.size).toBe(1);
    socket.send(encodePacket(conclusion!), port, '127.0.0.1');
    expect(await waitFor(() => answers.length === 1, 5_000)).toBe(true);
    expect(answers[0]!.type === 'handshake' && answers[0]!.handshake.handshakeType).toBe(HandshakeType.Conclusion);
    expect(engine.srt!.sessions.size).toBe(1);
    expect(engine.srt!.slots.total).toBe(1);
    // garbage from the same address and port, and to a socket id nobody has: dropped one by one
    for (const junk of [new Uint8Array(3), new Uint8Array(64).fill(0xff), rnd(1500)]) socket.send(junk, port, '127.0.0.1');
    expect(await waitFor(() => engine.srt!.stats.malformed + engine.srt!.stats.unrouted >= 3, 5_000)).toBe(true);
    expect(engine.srt!.sessions.size).toBe(1);
    // nothing more from the caller: the peer idle timeout (5 s) ends the connection and frees its slot
    expect(await waitFor(() => engine.srt!.sessions.size === 0, 15_000, 100)).toBe(true);
    expect(engine.srt!.slots.total).toBe(0);
    expect(engine.logs.some((l) => l.includes('peer went silent (idle timeout)'))).toBe(true);
    socket.close();
  });

  test('the per-address connection cap: callers past it are refused with 1402 and hold nothing', async () => {
    const { engine, port } = await srtEngine({ maxConnectionsPerAddress: 3 });
    const results: Array<{ done: boolean; rejected?: number }> = [];
    const sockets = [];
    for (let i = 0; i < 5; i++) {
      const caller = new SrtCallerHandshake({ socketId: 2000 + i, initialSeq: 7, peerAddress: '127.0.0.1', streamId: '#!::r=live/waiting,m=request', randomBytes: rnd });
      const socket = await udpClient((p) => {
        const r = caller.receive(p, nowUs());
        for (const out of r.send) socket.send(encodePacket(out), port, '127.0.0.1');
        if (r.done) results.push({ done: true });
        if (r.rejected !== undefined) results.push({ done: false, rejected: r.rejected });
      });
      sockets.push(socket);
      for (const p of caller.start(nowUs())) socket.send(encodePacket(p), port, '127.0.0.1');
      // one at a time, so which ones are over the cap is certain
      expect(await waitFor(() => results.length === i + 1, 10_000)).toBe(true);
    }
    expect(results.slice(0, 3).every((r) => r.done)).toBe(true);
    expect(results.slice(3)).toEqual([{ done: false, rejected: SrtRejectCode.Overload }, { done: false, rejected: SrtRejectCode.Overload }]);
    expect(engine.srt!.sessions.size).toBe(3);
    expect(engine.srt!.slots.total).toBe(3);
    expect(engine.context.counters.refusals?.['srt.maxConnectionsPerAddress']).toBe(2);
    // 30 more at once: all refused and counted; the logger's own rate limit keeps the log short
    let refusedBurst = 0;
    for (let i = 0; i < 30; i++) {
      const caller = new SrtCallerHandshake({ socketId: 2100 + i, initialSeq: 7, peerAddress: '127.0.0.1', streamId: '#!::r=live/waiting,m=request', randomBytes: rnd });
      const socket = await udpClient((p) => {
        const r = caller.receive(p, nowUs());
        for (const out of r.send) socket.send(encodePacket(out), port, '127.0.0.1');
        if (r.rejected === SrtRejectCode.Overload) refusedBurst++;
      });
      sockets.push(socket);
      for (const p of caller.start(nowUs())) socket.send(encodePacket(p), port, '127.0.0.1');
    }
    expect(await waitFor(() => refusedBurst === 30, 10_000)).toBe(true);
    expect(engine.srt!.stats.refused).toBe(32);
    expect(engine.logs.filter((l) => l.includes('SRT connection refused')).length).toBeLessThanOrEqual(20);
    expect(engine.srt!.sessions.size).toBe(3);
    for (const socket of sockets) socket.close();
  });
});

// Issue 10, items 4 and 8, against real weir-engine processes with low limits: one address
// cannot take every RTMP or HTTP slot from the others, a connection that trickles bytes is cut
// at the setup deadline all the same, one address cannot publish without bound, and
// WebSocket-FLV viewers and requests waiting for a publisher count toward http.maxConnections.
// Loopback gives the test several client addresses: Linux routes all of 127/8 to lo, so a
// socket bound to 127.0.0.2 reaches an engine on 127.0.0.1 and the engine sees 127.0.0.2.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { encodeAmf0 } from '../../src/rtmp/amf0.ts';
import { encodeChunks } from '../../src/rtmp/chunk-writer.ts';
import { concatBytes } from '../../src/media/bytes.ts';
import { ClientSession, type ClientRole, type ClientSessionEvent } from '../../src/rtmp/client-session.ts';
import { freePort, killAll, publishPattern, waitFor } from '../e2e/harness.ts';

type LogLine = Record<string, unknown> & { msg: string };

const ENGINE_SECRET = 'connection-limits-test-secret';

type EngineProcess = {
  rtmpPort: number;
  httpPort: number;
  /** the engine API (metrics): it runs because the test gives the engine a secret */
  apiPort: number;
  logs: LogLine[];
  stop(): Promise<void>;
};

async function startEngineProcess(flags: string[]): Promise<EngineProcess> {
  const rtmpPort = freePort();
  const httpPort = freePort();
  const apiPort = freePort();
  const proc = Bun.spawn(
    [
      process.execPath, resolve(import.meta.dir, '../../src/engine.ts'),
      '--rtmp-host', '127.0.0.1', '--rtmp-port', String(rtmpPort),
      '--http-host', '127.0.0.1', '--http-port', String(httpPort),
      '--api-host', '127.0.0.1', '--api-port', String(apiPort),
      '--log-json', '--log-level', 'debug',
      ...flags,
    ],
    { stdout: 'ignore', stderr: 'pipe', stdin: 'ignore', env: { ...process.env, WEIR_ENGINE_SECRET: ENGINE_SECRET } },
  );
  const logs: LogLine[] = [];
  void (async () => {
    let rest = '';
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
      rest += new TextDecoder().decode(chunk);
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          logs.push({ msg: line });
        }
      }
    }
  })();
  const ready = await waitFor(() => proc.exitCode !== null || logs.some((l) => l.msg === 'HTTP listening'), 15_000);
  if (!ready || proc.exitCode !== null) {
    proc.kill('SIGKILL');
    throw new Error(`engine did not start (exit ${proc.exitCode}): ${logs.map((l) => JSON.stringify(l)).join('\n')}`);
  }
  return {
    rtmpPort,
    httpPort,
    apiPort,
    logs,
    stop: async () => {
      proc.kill('SIGKILL');
      await proc.exited;
    },
  };
}

/** An RTMP client (the pure ClientSession) on a socket bound to a chosen loopback address. */
type Client = {
  events: ClientSessionEvent[];
  next(predicate: (e: ClientSessionEvent) => boolean, timeoutMs?: number): Promise<ClientSessionEvent | null>;
  isClosed(): boolean;
  closedAtMs(): number;
  socket: Socket;
  close(): void;
};

function rtmpClient(
  port: number,
  localAddress: string,
  target: { app: string; stream: string; role: ClientRole },
  options: { stopAfterConnect?: boolean } = {},
): Client {
  const session = new ClientSession({
    app: target.app,
    tcUrl: `rtmp://127.0.0.1:${port}/${target.app}`,
    role: target.role,
    streamName: target.stream,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    epochMs: Date.now(),
  });
  const events: ClientSessionEvent[] = [];
  let closed = false;
  let closedAt = 0;
  let silenced = false;
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  const flush = (): void => {
    const out = session.takeOutgoing();
    if (!silenced && !closed && out.length > 0) socket.write(Buffer.concat(out));
  };
  socket.on('connect', () => {
    session.start();
    flush();
  });
  socket.on('data', (data: Buffer) => {
    try {
      for (const event of session.push(data)) {
        events.push(event);
        // a connection that goes no further than connect: createStream and publish/play are never sent
        if (event.type === 'connected' && options.stopAfterConnect) silenced = true;
      }
    } catch {
      socket.destroy();
    }
    flush();
  });
  const onClose = (): void => {
    if (!closed) closedAt = Date.now();
    closed = true;
  };
  socket.on('close', onClose);
  socket.on('error', onClose);
  return {
    events,
    socket,
    isClosed: () => closed,
    closedAtMs: () => closedAt,
    next: async (predicate, timeoutMs = 8000) => {
      await waitFor(() => events.some(predicate) || closed, timeoutMs);
      return events.find(predicate) ?? null;
    },
    close: () => socket.destroy(),
  };
}

/** A partial chunk (csid 3, AMF0 command of 200 bytes) whose body then trickles in a byte at a time. */
function dripChunkHeader(): Buffer {
  return Buffer.from([0x03, 0, 0, 0, 0, 0, 200, 0x14, 0, 0, 0, 0]);
}

function drip(socket: Socket, everyMs: number, bytesPerDrip: number): () => void {
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(Buffer.alloc(bytesPerDrip, 0x05));
  }, everyMs);
  return () => clearInterval(timer);
}

type HttpAttempt = { status: Promise<number>; socket: Socket; close(): void; isClosed(): boolean };

/** A GET (or a WebSocket upgrade) from a chosen loopback address; resolves the status code once the head arrives. */
function httpGet(port: number, localAddress: string, path: string, webSocket = false): HttpAttempt {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  let closed = false;
  const status = new Promise<number>((resolveStatus) => {
    let head = '';
    socket.on('data', (data: Buffer) => {
      if (head.includes('\r\n')) return;
      head += data.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (match) resolveStatus(Number(match[1]));
    });
    socket.on('close', () => {
      closed = true;
      resolveStatus(0);
    });
    socket.on('error', () => {
      closed = true;
      resolveStatus(0);
    });
  });
  const upgrade = webSocket
    ? 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'
    : '';
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${upgrade}\r\n`);
  return { status, socket, close: () => socket.destroy(), isClosed: () => closed };
}

/** Whether the engine logged a line like this (log lines come through a pipe: allow them a moment). */
function logged(engine: EngineProcess, msgPart: string, fields: Record<string, unknown>): Promise<boolean> {
  return waitFor(() => engine.logs.some((l) => l.msg.includes(msgPart) && Object.entries(fields).every(([k, v]) => l[k] === v)), 3000);
}

afterAll(() => killAll());

describe('caps', () => {
  let engine: EngineProcess;
  beforeAll(async () => {
    engine = await startEngineProcess([
      '--rtmp-max-connections', '12', '--rtmp-max-per-address', '4', '--rtmp-max-publishes-per-address', '2',
      // the deadline is out of the way here: the caps alone must hold
      '--rtmp-handshake-timeout-ms', '120000',
      '--http-max-connections', '6', '--http-max-per-address', '3', '--wait-ms', '30000',
      // a playlist of a stream with no media yet waits 3 target durations: 15 s
      '--hls-target-ms', '5000',
    ]);
  });
  afterAll(() => engine.stop());

  test('a drip attacker on one address cannot keep a publisher on another out', async () => {
    const attackers = Array.from({ length: 12 }, () =>
      rtmpClient(engine.rtmpPort, '127.0.0.2', { app: 'live', stream: 'x', role: 'publish' }, { stopAfterConnect: true }),
    );
    const stopDrips: Array<() => void> = [];
    try {
      const settled = await waitFor(() => attackers.every((a) => a.isClosed() || a.events.some((e) => e.type === 'connected')), 10_000);
      expect(settled).toBe(true);
      for (const a of attackers) if (!a.isClosed()) stopDrips.push(drip(a.socket, 300, 2));
      const holding = attackers.filter((a) => !a.isClosed());
      expect(holding.length).toBe(4);
      expect(await logged(engine, 'per-address connection cap', { peer: '127.0.0.2', limit: 'rtmp.maxConnectionsPerAddress', max: 4 })).toBe(true);

      const publisher = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'honest', role: 'publish' });
      const ready = await publisher.next((e) => e.type === 'ready');
      expect(ready?.type).toBe('ready');
      // the attacker's four are still open: they were capped, not cut
      expect(holding.every((a) => !a.isClosed())).toBe(true);
      publisher.close();
    } finally {
      for (const stop of stopDrips) stop();
      for (const a of attackers) a.close();
    }
  }, 30_000);

  test('one address may publish only so many streams at once', async () => {
    const first = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'p1', role: 'publish' });
    const second = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'p2', role: 'publish' });
    expect((await first.next((e) => e.type === 'ready'))?.type).toBe('ready');
    expect((await second.next((e) => e.type === 'ready'))?.type).toBe('ready');
    const third = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'p3', role: 'publish' });
    const refused = await third.next((e) => e.type === 'rejected' || e.type === 'ready');
    expect(refused?.type).toBe('rejected');
    expect(refused?.type === 'rejected' && refused.description).toContain('too many streams published from this address');
    expect(await logged(engine, 'per-address publish cap', { peer: '127.0.0.1', limit: 'rtmp.maxPublishesPerAddress', max: 2 })).toBe(true);
    third.close();

    // another address is not affected
    const elsewhere = rtmpClient(engine.rtmpPort, '127.0.0.2', { app: 'live', stream: 'q1', role: 'publish' });
    expect((await elsewhere.next((e) => e.type === 'ready'))?.type).toBe('ready');

    // a publish that ends gives its slot back
    first.close();
    let again: Client | null = null;
    const republished = await waitFor(() => {
      if (again?.events.some((e) => e.type === 'ready')) return true;
      if (!again || again.isClosed() || again.events.some((e) => e.type === 'rejected')) {
        again?.close();
        again = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'p3', role: 'publish' });
      }
      return false;
    }, 10_000, 200);
    expect(republished).toBe(true);
    for (const c of [second, elsewhere, again as Client | null]) c?.close();
  }, 30_000);

  test('WebSocket-FLV viewers count toward http.maxConnections and the per-address cap', async () => {
    const publisher = await publishPattern(`rtmp://127.0.0.1:${engine.rtmpPort}/live/show`, { seconds: 60, bFrames: 0 });
    const sockets: HttpAttempt[] = [];
    try {
      const live = await waitFor(() => engine.logs.some((l) => l.msg === 'publish started' && l.stream === 'live/show'), 15_000);
      expect(live).toBe(true);
      for (const from of ['127.0.0.2', '127.0.0.2', '127.0.0.2']) sockets.push(httpGet(engine.httpPort, from, '/live/show.flv', true));
      expect(await Promise.all(sockets.map((s) => s.status))).toEqual([101, 101, 101]);
      const fourth = httpGet(engine.httpPort, '127.0.0.2', '/live/show.flv', true);
      expect(await fourth.status).toBe(429);
      fourth.close();
      expect(await logged(engine, 'per-address connection cap', { peer: '127.0.0.2', limit: 'http.maxConnectionsPerAddress', protocol: 'ws-flv' })).toBe(true);
      const more = ['127.0.0.3', '127.0.0.3', '127.0.0.3'].map((from) => httpGet(engine.httpPort, from, '/live/show.flv', true));
      sockets.push(...more);
      expect(await Promise.all(more.map((s) => s.status))).toEqual([101, 101, 101]);

      // six WebSocket viewers: the engine is full for HTTP-FLV too
      const httpFlv = httpGet(engine.httpPort, '127.0.0.1', '/live/show.flv');
      expect(await httpFlv.status).toBe(503);
      httpFlv.close();
      expect(await logged(engine, 'request refused: connection cap reached', { peer: '127.0.0.1', limit: 'http.maxConnections' })).toBe(true);

      // a WebSocket viewer that leaves gives its slot back
      sockets[0]!.close();
      let admitted = 0;
      for (let attempt = 0; attempt < 40 && admitted !== 200; attempt++) {
        const retry = httpGet(engine.httpPort, '127.0.0.1', '/live/show.flv');
        admitted = await retry.status;
        retry.close();
        if (admitted !== 200) await Bun.sleep(100);
      }
      expect(admitted).toBe(200);
    } finally {
      for (const s of sockets) s.close();
      await publisher.stop();
    }
  }, 60_000);

  test('requests waiting for a publisher count toward http.maxConnections and the per-address cap', async () => {
    const waiting = [
      ...['127.0.0.2', '127.0.0.2', '127.0.0.2', '127.0.0.3'].map((from) => httpGet(engine.httpPort, from, '/live/not-yet.flv')),
      ...['127.0.0.3', '127.0.0.3'].map((from) => httpGet(engine.httpPort, from, '/live/not-yet.flv', true)),
    ];
    try {
      // nothing answers those six while they wait (30 s); one more from 127.0.0.2 is over its cap
      expect(await answerOnceCounted('127.0.0.2', '/live/not-yet.flv', 429)).toBe(429);
      expect(await logged(engine, 'per-address connection cap', { peer: '127.0.0.2', limit: 'http.maxConnectionsPerAddress', protocol: 'http-flv' })).toBe(true);
      // and the engine is full for everyone else
      expect(await answerOnceCounted('127.0.0.1', '/live/not-yet.flv', 503)).toBe(503);
      expect(await logged(engine, 'request refused: connection cap reached', { peer: '127.0.0.1', limit: 'http.maxConnections', protocol: 'http-flv' })).toBe(true);
      // waiting clients that leave give their slots back: a new one is let in to wait
      for (const w of waiting) w.close();
      expect(await answerOnceCounted('127.0.0.1', '/live/not-yet.flv', 'waiting')).toBe('waiting');
    } finally {
      for (const w of waiting) w.close();
    }
  }, 60_000);

  test('HLS requests in progress have a per-address cap', async () => {
    // a publisher that sends no media: its playlist requests wait for a first segment
    const publisher = rtmpClient(engine.rtmpPort, '127.0.0.4', { app: 'live', stream: 'quiet', role: 'publish' });
    const held: HttpAttempt[] = [];
    try {
      expect((await publisher.next((e) => e.type === 'ready'))?.type).toBe('ready');
      held.push(...[1, 2, 3].map(() => httpGet(engine.httpPort, '127.0.0.2', '/live/quiet/index.m3u8')));
      expect(await answerOnceCounted('127.0.0.2', '/live/quiet/index.m3u8', 429)).toBe(429);
      expect(await logged(engine, 'per-address connection cap', { peer: '127.0.0.2', limit: 'http.maxConnectionsPerAddress', protocol: 'hls' })).toBe(true);
      // another address still gets in (its request waits like the others)
      expect(await answerOnceCounted('127.0.0.3', '/live/quiet/index.m3u8', 'waiting')).toBe('waiting');
    } finally {
      for (const h of held) h.close();
      publisher.close();
    }
  }, 60_000);

  test('one connection cannot publish several streams by sending publish commands in a burst', async () => {
    const client = rtmpClient(engine.rtmpPort, '127.0.0.5', { app: 'live', stream: 'unused', role: 'publish' }, { stopAfterConnect: true });
    try {
      expect((await client.next((e) => e.type === 'connected'))?.type).toBe('connected');
      // three createStream (the engine numbers streams 1, 2, 3), then a publish on each, in one write:
      // all three arrive before the first publish has been admitted
      const command = (streamId: number, values: Parameters<typeof encodeAmf0>[0]) => ({
        chunkStreamId: 8, typeId: 20, timestamp: 0, messageStreamId: streamId, payload: encodeAmf0(values),
      });
      const burst = [
        ...[10, 11, 12].map((tx) => command(0, ['createStream', tx, null])),
        ...[1, 2, 3].map((id) => command(id, ['publish', 0, null, `burst-${id}`, 'live'])),
      ];
      client.socket.write(concatBytes(burst.map((m) => encodeChunks(m, 128))));
      const answered = await waitFor(() => engine.logs.some((l) => l.msg === 'publish started' && String(l.stream).startsWith('live/burst-')), 5000);
      expect(answered).toBe(true);
      await Bun.sleep(300);
      const started = engine.logs.filter((l) => l.msg === 'publish started' && String(l.stream).startsWith('live/burst-'));
      expect(started.map((l) => l.stream)).toEqual(['live/burst-1']);
    } finally {
      client.close();
    }
  }, 30_000);

  test('refusals are counted in the engine metrics by limit', async () => {
    const refusals = async (): Promise<Record<string, number>> => {
      const res = await fetch(`http://127.0.0.1:${engine.apiPort}/metrics`, { headers: { Authorization: `Bearer ${ENGINE_SECRET}` } });
      expect(res.status).toBe(200);
      const counts: Record<string, number> = {};
      for (const match of (await res.text()).matchAll(/^weir_connections_refused_total\{limit="([^"]+)"\} (\d+)$/gm)) counts[match[1]!] = Number(match[2]);
      return counts;
    };
    const before = await refusals();
    const from = '127.0.0.6';
    const rtmp = Array.from({ length: 5 }, () => rtmpClient(engine.rtmpPort, from, { app: 'live', stream: 'm', role: 'publish' }, { stopAfterConnect: true }));
    const http = Array.from({ length: 3 }, () => httpGet(engine.httpPort, from, '/live/metrics-wait.flv'));
    try {
      expect(await waitFor(() => rtmp.filter((c) => c.isClosed()).length === 1, 5000)).toBe(true);
      expect(await answerOnceCounted(from, '/live/metrics-wait.flv', 429)).toBe(429);
      const after = await refusals();
      const grew = (limit: string): number => (after[limit] ?? 0) - (before[limit] ?? 0);
      expect(grew('rtmp.maxConnectionsPerAddress')).toBe(1);
      expect(grew('http.maxConnectionsPerAddress')).toBeGreaterThanOrEqual(1);
    } finally {
      for (const c of rtmp) c.close();
      for (const h of http) h.close();
    }
  }, 30_000);

  /** Asks until the answer within 400 ms is `expected` (or 'waiting': none yet), giving the engine time to count what came before. */
  async function answerOnceCounted(from: string, path: string, expected: number | 'waiting'): Promise<number | 'waiting'> {
    let answer: number | 'waiting' = 'waiting';
    for (let attempt = 0; attempt < 25; attempt++) {
      const request = httpGet(engine.httpPort, from, path);
      answer = await Promise.race([request.status, Bun.sleep(400).then(() => 'waiting' as const)]);
      request.close();
      if (answer === expected) return answer;
      await Bun.sleep(100);
    }
    return answer;
  }
});

describe('setup deadline', () => {
  let engine: EngineProcess;
  beforeAll(async () => {
    engine = await startEngineProcess(['--rtmp-handshake-timeout-ms', '1500', '--wait-ms', '30000']);
  });
  afterAll(() => engine.stop());

  test('a connection that trickles bytes after connect is cut at the deadline; an honest publisher is not', async () => {
    const started = Date.now();
    const trickler = rtmpClient(engine.rtmpPort, '127.0.0.2', { app: 'live', stream: 'x', role: 'publish' }, { stopAfterConnect: true });
    const publisher = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'steady', role: 'publish' });
    let stopDrip = (): void => {};
    try {
      expect((await trickler.next((e) => e.type === 'connected'))?.type).toBe('connected');
      trickler.socket.write(dripChunkHeader());
      stopDrip = drip(trickler.socket, 150, 1);
      expect((await publisher.next((e) => e.type === 'ready'))?.type).toBe('ready');
      expect(await waitFor(() => trickler.isClosed(), 10_000)).toBe(true);
      // bytes kept arriving every 150 ms, yet it was cut once the deadline from accept had passed
      expect(trickler.closedAtMs() - started).toBeGreaterThanOrEqual(1400);
      expect(await logged(engine, 'setup timeout', { peer: '127.0.0.2', limit: 'rtmp.handshakeTimeoutMs', stage: 'no publish or play' })).toBe(true);
      expect(publisher.isClosed()).toBe(false);
    } finally {
      stopDrip();
      trickler.close();
      publisher.close();
    }
  }, 30_000);

  test('a handshake trickled two bytes at a time is cut at the deadline', async () => {
    const socket = connect({ host: '127.0.0.1', port: engine.rtmpPort, localAddress: '127.0.0.2' });
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => (closed = true));
    socket.write(Buffer.from([3]));
    const stop = drip(socket, 150, 2);
    try {
      expect(await waitFor(() => closed, 10_000)).toBe(true);
      expect(await logged(engine, 'handshake timeout', { peer: '127.0.0.2', stage: 'handshake' })).toBe(true);
    } finally {
      stop();
      socket.destroy();
    }
  }, 30_000);

  test('a player waiting for a publisher past the deadline is not cut', async () => {
    const player = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'later', role: 'play' });
    try {
      expect((await player.next((e) => e.type === 'connected'))?.type).toBe('connected');
      await Bun.sleep(3000);
      expect(player.isClosed()).toBe(false);
      const publisher = rtmpClient(engine.rtmpPort, '127.0.0.1', { app: 'live', stream: 'later', role: 'publish' });
      expect((await publisher.next((e) => e.type === 'ready'))?.type).toBe('ready');
      publisher.close();
    } finally {
      player.close();
    }
  }, 30_000);
});

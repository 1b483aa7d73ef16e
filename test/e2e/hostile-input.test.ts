// Bad peers close only their own connection, with one log line; the engine keeps serving.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect, type Socket } from 'node:net';
import { startTestEngine, waitFor, type TestEngine } from './harness.ts';
import { connectRtmp } from './rtmp-test-client.ts';

let engine: TestEngine;
beforeAll(() => {
  engine = startTestEngine({ rtmp: { handshakeTimeoutMs: 400, maxConnections: 6 } });
});
afterAll(() => engine.stop());

function rawConnection(): { socket: Socket; closed: () => boolean; received: () => number } {
  const socket = connect({ host: '127.0.0.1', port: engine.rtmpPort });
  let closed = false;
  let received = 0;
  socket.on("data", (d: Buffer) => (received += d.byteLength));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  return { socket, closed: () => closed, received: () => received };
}

async function healthyPublish(name: string): Promise<void> {
  const client = await connectRtmp(engine.rtmpPort, 'live', name, 'publish');
  await client.next((e) => e.type === 'ready');
  client.close();
}

test('a garbage handshake closes that connection only', async () => {
  const bad = rawConnection();
  bad.socket.write(Buffer.concat([Buffer.from([0x47]), Buffer.alloc(1536, 0x41)]));
  expect(await waitFor(bad.closed, 3000)).toBe(true);
  await healthyPublish('after-garbage');
  expect(engine.logs.some((l) => l.includes('protocol error'))).toBe(true);
});

test('a truncated handshake and a silent peer time out', async () => {
  const truncated = rawConnection();
  truncated.socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(100)]));
  const silent = rawConnection();
  expect(await waitFor(() => truncated.closed() && silent.closed(), 3000)).toBe(true);
  expect(engine.logs.filter((l) => l.includes('handshake timeout')).length).toBeGreaterThanOrEqual(2);
});

test('a declared message length over the limit closes the connection', async () => {
  const client = await connectRtmp(engine.rtmpPort, 'live', 'oversize', 'publish');
  await client.next((e) => e.type === 'ready');
  // chunk stream 6, type 0 header, message length 0xFFFFFF (16 MiB > 8 MiB limit), video
  const header = Buffer.from([0x06, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]);
  let closed = false;
  void client.closed.then(() => (closed = true));
  client.sendRaw(header);
  expect(await waitFor(() => closed, 3000)).toBe(true);
  expect(engine.logs.some((l) => l.includes('too-large'))).toBe(true);
  await healthyPublish('after-oversize');
});

test('connections over the cap are refused, the others keep working', async () => {
  // held connections finish their handshake, so the 400 ms handshake timeout cannot free a slot
  expect(await waitFor(() => engine.context.clients.size === 0, 10_000)).toBe(true);
  const held = await Promise.all(Array.from({ length: 6 }, (_, i) => connectRtmp(engine.rtmpPort, 'live', `held${i}`, 'publish')));
  await Promise.all(held.map((c) => c.next((e) => e.type === 'ready', 10_000)));
  expect(engine.context.clients.size).toBe(6);
  const extra = rawConnection();
  expect(await waitFor(extra.closed, 10_000)).toBe(true);
  expect(engine.logs.some((l) => l.includes('connection cap'))).toBe(true);
  for (const c of held) c.close();
  expect(await waitFor(() => engine.context.clients.size === 0, 10_000)).toBe(true);
  await healthyPublish('after-cap');
});


// The TCP acceptor RTMP and RTSP share: caps refuse (counted, logged, cut) before a connection is
// built, accepted sockets reach their connection (data, close, slot release), a busy port is a
// ListenError naming the listener, and a rebind keeps the connections already accepted.
import { afterEach, expect, test } from 'bun:test';
import { AddressSlots } from '../../src/server/address-slots.ts';
import type { EngineContext } from '../../src/server/engine-context.ts';
import { TcpAcceptor, type AcceptedConnection } from '../../src/server/tcp-acceptor.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { freePort } from '../e2e/harness.ts';

type Line = Record<string, unknown>;

class Conn implements AcceptedConnection {
  received = 0;
  closed = false;
  constructor(readonly release: () => void) {}
  receive(data: Uint8Array): void {
    this.received += data.length;
  }
  drain(): void {}
  close(): void {
    this.closed = true;
    this.release();
  }
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function setup(perAddress: number) {
  const lines: Line[] = [];
  const logger = createLogger({ level: 'debug', json: true, sink: (line: string) => lines.push(JSON.parse(line) as Line) });
  const ctx = { counters: { bytesIn: 0, bytesOut: 0, writers: { droppedMessages: 0, slowDisconnects: 0 } }, logger } as unknown as EngineContext;
  const slots = new AddressSlots(() => ({ total: Infinity, perAddress }));
  const acceptor = new TcpAcceptor<Conn>({ ctx, name: 'TEST', section: 'test', logPrefix: 'TEST ', slots, connect: (_sink, _peer, _now, release) => new Conn(release) });
  stops.push(() => acceptor.stop());
  return { acceptor, slots, ctx, lines };
}

async function until(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500 && !check(); i++) await Bun.sleep(10);
  return check();
}

function connect(port: number) {
  const state = { closed: false };
  const socket = Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {}, close: () => void (state.closed = true) } });
  return { socket, state };
}

test('an accepted socket reaches its connection; closing it releases the slot', async () => {
  const { acceptor, slots } = setup(0);
  acceptor.start('127.0.0.1', 0);
  const { socket } = connect(acceptor.port);
  const s = await socket;
  expect(await until(() => acceptor.connections.size === 1)).toBe(true);
  s.write(new Uint8Array(5));
  const conn = [...acceptor.connections][0]!;
  expect(await until(() => conn.received === 5)).toBe(true);
  s.end();
  expect(await until(() => conn.closed && acceptor.connections.size === 0)).toBe(true);
  expect(slots.total).toBe(0);
});

test('over the per-address cap: refused before a connection exists, counted and logged under the section', async () => {
  const { acceptor, ctx, lines } = setup(1);
  acceptor.start('127.0.0.1', 0);
  await connect(acceptor.port).socket;
  expect(await until(() => acceptor.connections.size === 1)).toBe(true);
  const second = connect(acceptor.port);
  await second.socket;
  expect(await until(() => second.state.closed)).toBe(true);
  expect(acceptor.connections.size).toBe(1);
  expect(ctx.counters.refusals).toEqual({ 'test.maxConnectionsPerAddress': 1 });
  const refusal = lines.find((l) => l['msg'] === 'TEST connection refused: per-address connection cap reached');
  expect(refusal?.['limit']).toBe('test.maxConnectionsPerAddress');
  expect(refusal?.['max']).toBe(1);
});

test('a busy port is a ListenError naming the listener; a rebind keeps what was accepted', async () => {
  const { acceptor } = setup(0);
  const busy = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  stops.push(() => busy.stop(true));
  expect(() => acceptor.start('127.0.0.1', busy.port)).toThrow(`TEST cannot listen on 127.0.0.1:${busy.port}: the address is in use`);
  expect(acceptor.running).toBe(false);
  acceptor.start('127.0.0.1', 0);
  const first = connect(acceptor.port);
  await first.socket;
  expect(await until(() => acceptor.connections.size === 1)).toBe(true);
  const next = freePort();
  acceptor.rebind('127.0.0.1', next);
  expect(acceptor.port).toBe(next);
  await connect(next).socket;
  expect(await until(() => acceptor.connections.size === 2)).toBe(true);
  expect(first.state.closed).toBe(false);
  const accepted = [...acceptor.connections];
  acceptor.stop();
  expect(accepted.every((c) => c.closed)).toBe(true);
  expect(acceptor.connections.size).toBe(0);
  expect(acceptor.running).toBe(false);
});

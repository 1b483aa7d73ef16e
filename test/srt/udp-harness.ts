// Test-only UDP loopback glue around the pure SRT objects, so real libsrt (ffmpeg) can talk to
// them: one Bun UDP socket, a 5 ms poll timer, and the clock read here — never in src/srt.
import { randomBytes } from 'node:crypto';
import { SrtCallerHandshake } from '../../src/srt/handshake-caller.ts';
import type { SrtNegotiated } from '../../src/srt/handshake-common.ts';
import { SrtListenerHandshake } from '../../src/srt/handshake-listener.ts';
import { SrtConnection, type CloseReason } from '../../src/srt/connection.ts';
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';

const t0 = performance.now();
export const nowUs = (): number => Math.round((performance.now() - t0) * 1000);
const rnd = (n: number) => new Uint8Array(randomBytes(n));

export type EndpointState = {
  negotiated?: SrtNegotiated;
  rejected?: number;
  connection?: SrtConnection;
  delivered: Uint8Array[];
  closed?: CloseReason;
  errors: string[];
  received: Record<string, number>;
};

type Peer = { address: string; port: number };

async function endpoint(onHandshake: (p: SrtPacket, from: Peer, now: number, send: (ps: SrtPacket[]) => void) => void, state: EndpointState) {
  let peer: Peer | undefined;
  const socket = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      // ICMP port-unreachable once the peer has exited: expected at the end of each run.
      error() {},
      data(s, buf, port, address) {
        const send = (ps: SrtPacket[]) => ps.forEach((p) => s.send(encodePacket(p), port, address));
        try {
          const p = decodePacket(new Uint8Array(buf));
          state.received[p.type] = (state.received[p.type] ?? 0) + 1;
          const now = nowUs();
          if (!state.connection) {
            onHandshake(p, { address, port }, now, send);
            if (state.connection) peer = { address, port };
            return;
          }
          const out = (state.connection as SrtConnection).receive(p, now);
          send(out.send);
          if (out.closed) state.closed = out.closed;
        } catch (err) {
          state.errors.push(String(err));
        }
      },
    },
  });
  const flush = () => {
    const c = state.connection;
    if (!c || !peer) return;
    const out = c.poll(nowUs());
    for (const p of out.send) socket.send(encodePacket(p), peer.port, peer.address);
    state.delivered.push(...out.deliver);
    if (out.closed) state.closed = out.closed;
  };
  const timer = setInterval(flush, 5);
  return {
    socket,
    flush,
    sendTo: (ps: SrtPacket[], to: Peer) => ps.forEach((p) => socket.send(encodePacket(p), to.port, to.address)),
    close: () => {
      clearInterval(timer);
      socket.close();
    },
  };
}

/** Our listener handshake + connection, answering a real caller. */
export async function startListener(opts: { passphrase?: string }) {
  const handshake = new SrtListenerHandshake({ cookieSecret: rnd(32) });
  const state: EndpointState = { delivered: [], errors: [], received: {} };
  const ep = await endpoint((p, from, now, send) => {
    if (p.type !== 'handshake') return;
    const r = handshake.receive(p, from, now);
    send(r.send);
    if (!r.request) return;
    const a = handshake.accept(r.request, { socketId: 0x5eed, nowUs: now, passphrase: opts.passphrase });
    send(a.send);
    state.rejected = a.rejected;
    if (a.done) {
      state.negotiated = a.done;
      state.connection = new SrtConnection({ negotiated: a.done, passphrase: opts.passphrase, randomBytes: rnd, handshakeResponse: a.send }, now);
    }
  }, state);
  return { port: ep.socket.port, state, close: ep.close };
}

/** Our caller handshake + connection to a real listener: pushes `chunks` paced, collects what the listener sends. */
export async function runCaller(opts: { port: number; chunks: Uint8Array[]; streamId?: string; passphrase?: string; paceUs: number; lingerMs: number; deadlineMs: number; until?: (s: EndpointState) => boolean }) {
  const caller = new SrtCallerHandshake({ socketId: 0x0c0ffee, initialSeq: 0x7fff_ff00, peerAddress: '127.0.0.1', streamId: opts.streamId, passphrase: opts.passphrase, randomBytes: rnd });
  const state: EndpointState = { delivered: [], errors: [], received: {} };
  const target = { address: '127.0.0.1', port: opts.port };
  const ep = await endpoint((p, _from, now, send) => {
    const r = caller.receive(p, now);
    send(r.send);
    if (r.rejected !== undefined) state.rejected = r.rejected;
    if (r.done) {
      state.negotiated = r.done;
      state.connection = new SrtConnection({ negotiated: r.done, passphrase: opts.passphrase, randomBytes: rnd }, now);
    }
  }, state);
  ep.sendTo(caller.start(nowUs()), target);
  const deadline = Date.now() + opts.deadlineMs;
  let next = 0;
  let nextPushUs = 0;
  while (Date.now() < deadline && state.rejected === undefined && !state.closed) {
    await Bun.sleep(2);
    const now = nowUs();
    const c = state.connection;
    if (!c) {
      ep.sendTo(caller.poll(now), target);
      continue;
    }
    while (next < opts.chunks.length && now >= nextPushUs) {
      c.write(opts.chunks[next++] as Uint8Array, now);
      nextPushUs = (nextPushUs || now) + opts.paceUs;
    }
    ep.flush();
    if (opts.until?.(state)) break;
    if (opts.chunks.length > 0 && next >= opts.chunks.length && c.stats.send.bufferedPackets === 0) break;
  }
  // Keep answering while the peer's TSBPD delivers the tail, then say goodbye.
  await Bun.sleep(opts.lingerMs);
  if (state.connection) ep.sendTo(state.connection.close(nowUs()), target);
  ep.close();
  return state;
}

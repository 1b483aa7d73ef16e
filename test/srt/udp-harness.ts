// Test-only UDP loopback glue around the pure SRT objects, so real libsrt (ffmpeg) can talk to
// them: one Bun UDP socket, a 5 ms poll timer, and the clock read here — never in src/srt.
import { ExtType } from '../../src/srt/constants.ts';
import { SrtCallerHandshake } from '../../src/srt/handshake-caller.ts';
import type { SrtNegotiated } from '../../src/srt/handshake-common.ts';
import { SrtListenerHandshake } from '../../src/srt/handshake-listener.ts';
import { decryptPayload, mergeKeys, openKeys, type SrtKeys } from '../../src/srt/key-material.ts';
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';
import { SrtReceiver } from '../../src/srt/receiver.ts';
import { SrtSender } from '../../src/srt/sender.ts';
import { SrtSenderKeys } from '../../src/srt/sender-keys.ts';
import { randomBytes } from 'node:crypto';

const t0 = performance.now();
export const nowUs = (): number => Math.round((performance.now() - t0) * 1000);
const rnd = (n: number) => new Uint8Array(randomBytes(n));

/** Our listener handshake + receiver, answering a real caller until it shuts down. */
export async function startListener(opts: { passphrase?: string }) {
  const handshake = new SrtListenerHandshake({ cookieSecret: rnd(32) });
  const state = {
    negotiated: undefined as SrtNegotiated | undefined,
    rejected: undefined as number | undefined,
    receiver: undefined as SrtReceiver | undefined,
    keys: undefined as SrtKeys | undefined,
    delivered: [] as Uint8Array[],
    shutdown: false,
    ackacks: 0,
    errors: [] as string[],
  };
  let peer: { address: string; port: number } | undefined;
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
          const now = nowUs();
          if (p.type === 'handshake' && p.destSocketId === 0) {
            const r = handshake.receive(p, { address, port }, now);
            send(r.send);
            if (r.request && !state.receiver) {
              const a = handshake.accept(r.request, { socketId: 0x5eed, nowUs: now, passphrase: opts.passphrase });
              send(a.send);
              state.rejected = a.rejected;
              if (a.done) {
                state.negotiated = a.done;
                state.keys = a.done.keys;
                peer = { address, port };
                state.receiver = new SrtReceiver({ initialSeq: a.done.initialSeq, latencyUs: a.done.recvLatencyMs * 1000, peerTimeBaseUs: a.done.peerTimeBaseUs, localStartUs: a.done.localStartUs, peerSocketId: a.done.peerSocketId });
              }
            }
            return;
          }
          const rx = state.receiver;
          if (!rx) return;
          if (p.type === 'data') {
            const payload = state.keys ? decryptPayload(state.keys, p.keyFlag, p.seq, p.payload) : p.payload;
            send(rx.receiveData({ ...p, payload }, now));
          } else if (p.type === 'ackack') {
            state.ackacks++;
            rx.receiveAckAck(p.ackNumber, now);
          } else if (p.type === 'shutdown') state.shutdown = true;
          else if (p.type === 'user' && p.subtype === ExtType.KmReq && opts.passphrase) {
            state.keys = mergeKeys(state.keys, openKeys(opts.passphrase, p.body));
            send([{ ...p, subtype: ExtType.KmRsp, destSocketId: state.negotiated?.peerSocketId ?? 0 }]);
          }
        } catch (err) {
          state.errors.push(String(err));
        }
      },
    },
  });
  const timer = setInterval(() => {
    if (!state.receiver || !peer) return;
    const r = state.receiver.poll(nowUs());
    for (const p of r.send) socket.send(encodePacket(p), peer.port, peer.address);
    for (const d of r.deliver) state.delivered.push(d.payload);
  }, 5);
  return { port: socket.port, state, close: () => { clearInterval(timer); socket.close(); } };
}

/** Our caller handshake + sender, pushing `chunks` (paced) into a real listener, then shutting down. */
export async function runCaller(opts: { port: number; chunks: Uint8Array[]; streamId?: string; passphrase?: string; paceUs: number; lingerMs: number; deadlineMs: number }) {
  const caller = new SrtCallerHandshake({ socketId: 0x0c0ffee, initialSeq: 0x7fff_ff00, peerAddress: '127.0.0.1', streamId: opts.streamId, passphrase: opts.passphrase, randomBytes: rnd });
  const state = { negotiated: undefined as SrtNegotiated | undefined, rejected: undefined as number | undefined, sender: undefined as SrtSender | undefined, acks: 0, naks: 0, errors: [] as string[] };
  const socket = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      error() {},
      data(s, buf) {
        try {
          const p = decodePacket(new Uint8Array(buf));
          const now = nowUs();
          if (!state.sender) {
            const r = caller.receive(p, now);
            r.send.forEach((x) => s.send(encodePacket(x), opts.port, '127.0.0.1'));
            if (r.rejected !== undefined) state.rejected = r.rejected;
            if (r.done) {
              state.negotiated = r.done;
              const keys = r.done.keys;
              state.sender = new SrtSender({
                initialSeq: r.done.initialSeq, peerSocketId: r.done.peerSocketId, localStartUs: r.done.localStartUs, peerLatencyUs: r.done.sendLatencyMs * 1000, peerFlowWindow: r.done.peerFlowWindow,
                encryptor: keys && opts.passphrase ? new SrtSenderKeys({ passphrase: opts.passphrase, keys, randomBytes: rnd }) : undefined,
              });
            }
            return;
          }
          if (p.type === 'ack') {
            state.acks++;
            state.sender.receiveAck(p.ackNumber, p.variant, p.ack, now).forEach((x) => s.send(encodePacket(x), opts.port, '127.0.0.1'));
          } else if (p.type === 'nak') {
            state.naks++;
            state.sender.receiveNak(p.losses);
          }
        } catch (err) {
          state.errors.push(String(err));
        }
      },
    },
  });
  const send = (ps: SrtPacket[]) => ps.forEach((p) => socket.send(encodePacket(p), opts.port, '127.0.0.1'));
  send(caller.start(nowUs()));
  const deadline = Date.now() + opts.deadlineMs;
  let next = 0;
  let nextPushUs = 0;
  while (Date.now() < deadline && state.rejected === undefined) {
    await Bun.sleep(2);
    const now = nowUs();
    if (!state.sender) {
      send(caller.poll(now));
      continue;
    }
    while (next < opts.chunks.length && now >= nextPushUs) {
      state.sender.push(opts.chunks[next++] as Uint8Array, now);
      nextPushUs = (nextPushUs || now) + opts.paceUs;
    }
    send(state.sender.poll(now));
    if (next >= opts.chunks.length && state.sender.stats.bufferedPackets === 0) break;
  }
  // Keep answering ACKs while the peer's TSBPD delivers the tail, then say goodbye.
  const lingerUntil = Date.now() + opts.lingerMs;
  while (Date.now() < lingerUntil && state.sender) {
    await Bun.sleep(5);
    send(state.sender.poll(nowUs()));
  }
  if (state.negotiated) send([{ type: 'shutdown', timestampUs: (nowUs() - state.negotiated.localStartUs) >>> 0, destSocketId: state.negotiated.peerSocketId }]);
  socket.close();
  return state;
}

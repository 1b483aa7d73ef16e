// UDP port pairs for RTSP sessions over RTP/AVP (RFC 2326 §12.39 server_port; RFC 3550 §11: RTP on an even port,
// RTCP on the next one), taken from a configured range. Each SETUP of a UDP track gets its own pair, so datagrams
// are told apart by port, and a pair is closed with its session. Ports the OS refuses (in use) are skipped.
import type { udp } from 'bun';

export type UdpHandler = (data: Uint8Array, port: number, address: string) => void;

export type UdpPair = Readonly<{
  rtpPort: number;
  rtcpPort: number;
  sendRtp(bytes: Uint8Array, port: number, address: string): boolean;
  sendRtcp(bytes: Uint8Array, port: number, address: string): boolean;
  close(): void;
}>;

export class RtspUdpPorts {
  /** first port of pairs handed out and not yet closed */
  private readonly taken = new Set<number>();
  private next = 0;

  constructor(
    private readonly host: () => string,
    private readonly range: () => Readonly<{ min: number; max: number }>,
  ) {}

  get pairsInUse(): number {
    return this.taken.size;
  }

  /** A bound pair, or null when every pair of the range is taken or refused. */
  async allocate(onRtp: UdpHandler, onRtcp: UdpHandler): Promise<UdpPair | null> {
    const { min, max } = this.range();
    const first = min % 2 === 0 ? min : min + 1;
    const pairs = Math.max(0, Math.floor((max - first + 1) / 2));
    for (let i = 0; i < pairs; i++) {
      const rtpPort = first + 2 * ((this.next + i) % pairs);
      if (this.taken.has(rtpPort)) continue;
      this.taken.add(rtpPort);
      const bound = await this.bind(rtpPort, onRtp, onRtcp);
      if (!bound) {
        this.taken.delete(rtpPort);
        continue;
      }
      this.next = (this.next + i + 1) % pairs;
      let closed = false;
      return {
        rtpPort,
        rtcpPort: rtpPort + 1,
        sendRtp: (bytes, port, address) => !closed && trySend(bound.rtp, bytes, port, address),
        sendRtcp: (bytes, port, address) => !closed && trySend(bound.rtcp, bytes, port, address),
        close: () => {
          if (closed) return;
          closed = true;
          bound.rtp.close();
          bound.rtcp.close();
          this.taken.delete(rtpPort);
        },
      };
    }
    return null;
  }

  private async bind(rtpPort: number, onRtp: UdpHandler, onRtcp: UdpHandler): Promise<{ rtp: udp.Socket<'uint8array'>; rtcp: udp.Socket<'uint8array'> } | null> {
    const open = (port: number, handler: UdpHandler) =>
      Bun.udpSocket({
        hostname: this.host(),
        port,
        binaryType: 'uint8array',
        // errors queued by ICMP (port unreachable: the viewer went away) are the session timeout's business
        socket: { data: (_s, data, p, address) => handler(data, p, address), error: () => {} },
      });
    let rtp: udp.Socket<'uint8array'>;
    try {
      rtp = await open(rtpPort, onRtp);
    } catch {
      return null;
    }
    try {
      return { rtp, rtcp: await open(rtpPort + 1, onRtcp) };
    } catch {
      rtp.close();
      return null;
    }
  }
}

/** A send the OS refuses (ECONNREFUSED after an ICMP port unreachable, no buffer space) is a lost datagram. */
function trySend(socket: udp.Socket<'uint8array'>, bytes: Uint8Array, port: number, address: string): boolean {
  try {
    return socket.send(bytes, port, address);
  } catch {
    return false;
  }
}

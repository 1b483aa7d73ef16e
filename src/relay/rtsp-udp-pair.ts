// A UDP port pair for one RTP track (RFC 3550 §11: RTP on an even port, RTCP on the next odd one; RFC 2326 §12.39
// client_port=a-b). Ports come from the OS: bind an ephemeral port, keep it if it is even and its neighbour is free.
import type { udp } from 'bun';

const MAX_BIND_TRIES = 32;

export type UdpPacketHandler = (data: Uint8Array, fromPort: number, fromAddress: string) => void;

export type UdpPair = Readonly<{
  rtpPort: number;
  rtcpPort: number;
  rtp: udp.Socket<'uint8array'>;
  rtcp: udp.Socket<'uint8array'>;
  close(): void;
}>;

async function bind(port: number, onData: UdpPacketHandler): Promise<udp.Socket<'uint8array'> | undefined> {
  try {
    return await Bun.udpSocket({
      port,
      binaryType: 'uint8array',
      // An ICMP port unreachable (the camera's RTCP port closed, our receiver report to it refused) comes
      // back as an error on the next receive: a lost datagram, not something to throw out of the event loop.
      socket: { data: (_socket, data, fromPort, fromAddress) => onData(data, fromPort, fromAddress), error: () => {} },
    });
  } catch {
    return undefined;
  }
}

export async function openUdpPair(onRtp: UdpPacketHandler, onRtcp: UdpPacketHandler): Promise<UdpPair> {
  for (let i = 0; i < MAX_BIND_TRIES; i++) {
    const first = await bind(0, onRtp);
    if (!first) continue;
    if (first.port % 2 !== 0 || first.port >= 65535) {
      first.close();
      continue;
    }
    const second = await bind(first.port + 1, onRtcp);
    if (!second) {
      first.close();
      continue;
    }
    return {
      rtpPort: first.port,
      rtcpPort: second.port,
      rtp: first,
      rtcp: second,
      close() {
        first.close();
        second.close();
      },
    };
  }
  throw new Error(`no free UDP port pair after ${MAX_BIND_TRIES} tries`);
}

// The UDP half the datagram listeners share (SRT, WebRTC): one socket bound for every session of the port, each
// datagram handed on with the address and port it came from. Send errors are the listener's to take; the socket's
// own error event (ICMP port unreachable from a peer that left) is ignored: that session times out on its own.
import type { udp } from 'bun';

export type ListenerSocket = udp.Socket<'uint8array'>;

export function bindListenerSocket(host: string, port: number, onDatagram: (data: Uint8Array, address: string, port: number) => void): Promise<ListenerSocket> {
  return Bun.udpSocket({
    hostname: host,
    port,
    binaryType: 'uint8array',
    socket: {
      data: (_socket, data, peerPort, address) => onDatagram(data, address, peerPort),
      error: () => {},
    },
  });
}

// The RTSP pull client's RTP/RTCP port pair: even/odd ports, and an ICMP port unreachable (a
// datagram we sent to a camera port that has closed) is a lost datagram: it is not thrown out of
// the event loop (Bun reports it on the next receive) and the pair goes on receiving.
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { openUdpPair } from '../../src/relay/rtsp-udp-pair.ts';

const uncaught: unknown[] = [];
const record = (error: unknown) => void uncaught.push(error);
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', record);
});
afterEach(() => {
  process.off('uncaughtException', record);
});

test('a pair is an even RTP port and the RTCP port after it', async () => {
  const pair = await openUdpPair(() => {}, () => {});
  try {
    expect(pair.rtpPort % 2).toBe(0);
    expect(pair.rtcpPort).toBe(pair.rtpPort + 1);
  } finally {
    pair.close();
  }
});

test('sends refused by ICMP port unreachable raise nothing, and the pair still receives', async () => {
  const rtp: number[] = [];
  const rtcp: number[] = [];
  const pair = await openUdpPair((data) => rtp.push(data.byteLength), (data) => rtcp.push(data.byteLength));
  const gone = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 });
  const deadPort = gone.port;
  gone.close();
  const peer = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 });
  try {
    for (let i = 0; i < 3; i++) {
      pair.rtp.send(new Uint8Array([0x80, 0, 0, 1]), deadPort, '127.0.0.1');
      pair.rtcp.send(new Uint8Array([0x81, 201, 0, 1]), deadPort, '127.0.0.1');
      await Bun.sleep(20);
    }
    peer.send(new Uint8Array(12), pair.rtpPort, '127.0.0.1');
    peer.send(new Uint8Array(8), pair.rtcpPort, '127.0.0.1');
    for (let i = 0; i < 50 && (rtp.length === 0 || rtcp.length === 0); i++) await Bun.sleep(10);
    expect(uncaught).toEqual([]);
    expect(rtp).toEqual([12]);
    expect(rtcp).toEqual([8]);
  } finally {
    pair.close();
    peer.close();
  }
});

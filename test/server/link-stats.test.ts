import { describe, expect, test } from 'bun:test';
import { srtLinkStats } from '../../src/server/link-stats.ts';
import type { ConnectionStats, ReceiverStats, SenderStats } from '../../src/srt/index.ts';

const receive: ReceiverStats = {
  packetsReceived: 1000, bytesReceived: 1_300_000, packetsRetransmitted: 3, packetsLost: 5, packetsDropped: 1, packetsBelated: 0,
  packetsDuplicate: 0, packetsDelivered: 995, bytesDelivered: 1_290_000, rttUs: 1_234, rttVarUs: 100, lossListSize: 0, bufferedPackets: 4,
  receiveRateBytesPerSecond: 60_000, driftCorrectionUs: 0,
};
const send: SenderStats = {
  packetsSent: 2000, bytesSent: 2_600_000, packetsRetransmitted: 7, bytesRetransmitted: 9_000, packetsDropped: 2, packetsAcked: 1990,
  nakReceived: 4, lostReported: 7, rttUs: 34, rttVarUs: 10, bufferedPackets: 10, bufferedBytes: 13_000, flowWindow: 8192,
};
const stats: ConnectionStats = { receive, send, undecryptable: 0, keyRefreshesReceived: 0 };

describe('srtLinkStats', () => {
  test('media out reports the sender RTT, kept to the microsecond: 34 µs on loopback is not 0', () => {
    expect(srtLinkStats(stats, 'out', 2_000_000)).toEqual({
      rttMs: 0.034, packetsLost: 5, packetsDropped: 3, packetsRetransmitted: 10, receiveRateBps: 480_000, sendRateBps: 2_000_000,
    });
  });

  test('media in reports the receiver RTT', () => {
    expect(srtLinkStats(stats, 'in', 8_000).rttMs).toBe(1.234);
  });
});

// One SRT connection's figures in the engine API's LinkStats shape, for SRT clients (srt-session.ts)
// and SRT relays (src/relay/srt-caller-link.ts) alike. RTT is the one the side that matters
// measures: the receiver's (ACK/ACKACK) when the connection brings media in, the sender's when it
// takes media out. RTT keeps microseconds: a loopback or LAN peer can answer within 50 µs, which a
// 0.1 ms rounding would report as no measurement at all.
import type { LinkStats } from '../shared/config-protocol.ts';
import type { ConnectionStats } from '../srt/index.ts';

export function srtLinkStats(stats: ConnectionStats, direction: 'in' | 'out', sendRateBps: number): LinkStats {
  const { receive, send } = stats;
  const rttUs = direction === 'in' ? receive.rttUs : send.rttUs;
  return {
    rttMs: Math.round(rttUs) / 1000,
    packetsLost: receive.packetsLost,
    packetsDropped: receive.packetsDropped + send.packetsDropped,
    packetsRetransmitted: receive.packetsRetransmitted + send.packetsRetransmitted,
    receiveRateBps: Math.round(receive.receiveRateBytesPerSecond * 8),
    sendRateBps,
  };
}

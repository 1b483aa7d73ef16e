// What the play session keeps per SETUP track (where its RTP/RTCP travel, what RTCP told us), the receiver report it
// owes the sender (RFC 3550 §6.4.2 RR with one report block, plus the SDES CNAME §6.1 asks for), and the check that a
// UDP datagram comes from the server we talk to.
import { encodeReceiverReport } from '../rtsp/rtcp.ts';
import { receiverReportBlock, type JitterEstimator, type LastSenderReport } from '../rtsp/rtcp-report-block.ts';
import type { RtpSequenceTracker } from '../rtsp/rtp-sequence.ts';
import type { RtpTrackDescription } from '../rtsp/sdp-tracks.ts';
import type { UdpPair } from './rtsp-udp-pair.ts';

const CNAME = 'weir';

export type TrackIo = {
  description: RtpTrackDescription;
  jitter: JitterEstimator;
  remoteSsrc: number | undefined;
  lastSr: LastSenderReport | undefined;
  /** TCP: interleaved channels; UDP: the local pair and the server's ports */
  channels?: readonly [number, number];
  udp?: UdpPair;
  serverPorts?: readonly [number, number];
};

/** A compound RR + SDES for one track's source (call only once its SSRC is known). */
export function receiverReport(io: TrackIo, sequence: RtpSequenceTracker, ourSsrc: number, nowMs: number): Uint8Array {
  const block = receiverReportBlock({
    ssrc: io.remoteSsrc ?? 0,
    sequence,
    jitter: io.jitter.value,
    ...(io.lastSr ? { lastSr: io.lastSr } : {}),
    nowMs,
  });
  return encodeReceiverReport(ourSsrc, [block], CNAME);
}

/** Whether a datagram from `address` may be the server at `expected` (the TCP peer's address). */
export function sameHost(address: string, expected: string | undefined): boolean {
  if (expected === undefined) return true;
  const strip = (a: string) => a.replace(/^::ffff:/, '').replace(/^\[|\]$/g, '').toLowerCase();
  const a = strip(address);
  const e = strip(expected);
  // a hostname (not an address) cannot be compared without resolving it: accept, as the ports are ours alone
  return a === e || !/^[\d.:a-f]+$/.test(e) || (e === 'localhost' && (a === '127.0.0.1' || a === '::1'));
}

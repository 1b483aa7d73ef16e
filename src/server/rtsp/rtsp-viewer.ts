// One RTSP viewer's send side: the stream's shared RTP payloads stamped with this session's own headers (RFC 3550
// §5.1: random SSRC, first sequence number and timestamp offset), framed as `$` interleaved data on its TCP
// connection (RFC 2326 §10.12) through its ConnectionWriter, or sent as datagrams to its UDP ports, with a sender
// report (§6.4.1) before a track's first frame and every few seconds, so players align the tracks on one wallclock.
import { concatBytes } from '../../media/bytes.ts';
import type { RtpFrameOut, RtpTrackKind, RtpViewer } from '../../outputs/rtp-output.ts';
import { encodeSenderReport, unixMsToNtp } from '../../rtsp/rtcp.ts';
import { encodeInterleaved } from '../../rtsp/rtsp-encode.ts';
import { RtpStamper } from '../../rtsp/rtp-stamper.ts';
import type { Track } from '../../media/types.ts';
import type { ConnectionWriter } from '../connection-writer.ts';
import type { UdpPair } from './rtsp-udp-ports.ts';

const SENDER_REPORT_INTERVAL_MS = 5000;
const CNAME = 'weir';

export type PlayTransport =
  | Readonly<{ kind: 'tcp'; rtpChannel: number; rtcpChannel: number }>
  | Readonly<{ kind: 'udp'; pair: UdpPair; address: string; rtpPort: number; rtcpPort: number }>;

/** A track the viewer set up: what it was described as, and how its packets go out. */
export type PlayTrack = Readonly<{
  kind: RtpTrackKind;
  codec: Track['codec'];
  control: string;
  payloadType: number;
  clockRate: number;
  ssrc: number;
  stamper: RtpStamper;
  transport: PlayTransport;
}>;

export function newPlayTrack(init: Omit<PlayTrack, 'stamper' | 'ssrc'>, random: () => number): PlayTrack {
  const ssrc = random() >>> 0;
  return {
    ...init,
    ssrc,
    stamper: new RtpStamper({ ssrc, payloadType: init.payloadType, initialSequence: random() & 0xffff, timestampOffset: random() >>> 0 }),
  };
}

export type ViewerStats = { framesSent: number; framesDropped: number; udpSendFailures: number };

export class RtspViewer implements RtpViewer {
  readonly stats: ViewerStats = { framesSent: 0, framesDropped: 0, udpSendFailures: 0 };
  /** wallclock of the media timeline: unix ms = anchor.unixMs + (media ms - anchor.mediaMs) */
  private anchor: { unixMs: number; mediaMs: number } | undefined;
  private readonly lastReportAtMs = new Map<RtpTrackKind, number>();
  private readonly byKind = new Map<RtpTrackKind, PlayTrack>();

  constructor(
    tracks: readonly PlayTrack[],
    private readonly writer: ConnectionWriter,
    private readonly now: () => number,
    private readonly onEnd: () => void,
    /** bytes sent as UDP datagrams (TCP bytes are counted by the writer) */
    private readonly countUdpBytes: (bytes: number) => void = () => {},
  ) {
    for (const t of tracks) this.byKind.set(t.kind, t);
  }

  onFrame(frame: RtpFrameOut): void {
    const track = this.byKind.get(frame.kind);
    // a codec change mid-stream cannot be told to a player that was described the old one: its frames are left out
    if (!track || track.codec !== frame.codec) return;
    const mediaMs = (frame.packetized.rtpTime * 1000) / track.clockRate;
    const nowMs = this.now();
    this.anchor ??= { unixMs: nowMs, mediaMs };
    const packets: Uint8Array[] = [];
    const rtcp: Uint8Array[] = [];
    const last = this.lastReportAtMs.get(track.kind);
    if (last === undefined || nowMs - last >= SENDER_REPORT_INTERVAL_MS) {
      this.lastReportAtMs.set(track.kind, nowMs);
      rtcp.push(this.senderReport(track, frame.packetized.rtpTime, mediaMs));
    }
    packets.push(...track.stamper.stamp(frame.packetized));
    const t = track.transport;
    if (t.kind === 'udp') {
      let sent = 0;
      for (const r of rtcp) if (t.pair.sendRtcp(r, t.rtcpPort, t.address)) sent += r.length;
      else this.stats.udpSendFailures++;
      for (const p of packets) if (t.pair.sendRtp(p, t.rtpPort, t.address)) sent += p.length;
      else this.stats.udpSendFailures++;
      this.countUdpBytes(sent);
      this.stats.framesSent++;
      return;
    }
    const framed = [...rtcp.map((r) => encodeInterleaved(t.rtcpChannel, r)), ...packets.map((p) => encodeInterleaved(t.rtpChannel, p))];
    const bytes = concatBytes(framed);
    // dropped frames leave a sequence gap, which players treat as loss: they wait for the next keyframe
    if (this.writer.writeMedia(bytes, frame.randomAccess)) this.stats.framesSent++;
    else this.stats.framesDropped++;
  }

  onStreamEnd(): void {
    this.onEnd();
  }

  /** The report carries the timestamp of the frame about to be sent, so no clock is extrapolated. */
  private senderReport(track: PlayTrack, rtpTime: number, mediaMs: number): Uint8Array {
    const anchor = this.anchor!;
    const ntp = unixMsToNtp(anchor.unixMs + (mediaMs - anchor.mediaMs));
    return encodeSenderReport(
      {
        ssrc: track.ssrc,
        ...ntp,
        rtpTimestamp: track.stamper.timestampOf(rtpTime),
        packetCount: track.stamper.packetCount,
        octetCount: track.stamper.octetCount,
        reports: [],
      },
      CNAME,
    );
  }
}

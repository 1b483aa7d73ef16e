// The SDP answer of an ICE-lite, DTLS-server (a=setup:passive) WebRTC endpoint (RFC 8829 §5.3, RFC 8839 §5.3
// ice-lite, RFC 8842 §5.1, RFC 8843 BUNDLE): every accepted m= section bundled on one transport with our host
// candidates, one codec each, our SSRC and msid for the sections we send; sections we cannot serve are rejected
// with port 0 and left out of the BUNDLE group (RFC 8843 §7.3.3).
import type { OfferedCodec, OfferedMedia } from './sdp-offer.ts';

export type AnswerCandidate = Readonly<{ address: string; port: number }>;

export type AnsweredMedia =
  | Readonly<{ media: OfferedMedia; accept: false }>
  | Readonly<{
      media: OfferedMedia;
      accept: true;
      codec: OfferedCodec;
      direction: 'sendonly' | 'recvonly' | 'inactive';
      /** our SSRC for what we send (sendonly) */
      ssrc?: number;
      /** rtcp-fb values we support and the offer asked for */
      feedback: readonly string[];
    }>;

export type AnswerInit = Readonly<{
  sessionId: string;
  iceUfrag: string;
  icePwd: string;
  fingerprint: string;
  candidates: readonly AnswerCandidate[];
  media: readonly AnsweredMedia[];
  /** the msid stream id for our tracks and the CNAME of our RTCP */
  streamId: string;
  /** a note for people reading the answer (SDP session information, i=): e.g. why audio is not sent */
  information?: string;
}>;

export function buildAnswer(init: AnswerInit): string {
  const accepted = init.media.filter((m) => m.accept);
  const lines = [
    'v=0',
    `o=- ${init.sessionId} 2 IN IP4 127.0.0.1`,
    's=-',
    ...(init.information ? [`i=${init.information.replace(/[\r\n]/g, ' ')}`] : []),
    't=0 0',
    ...(accepted.length > 0 ? [`a=group:BUNDLE ${accepted.map((m) => m.media.mid).join(' ')}`] : []),
    'a=ice-lite',
    `a=msid-semantic: WMS ${init.streamId}`,
  ];
  for (const m of init.media) {
    if (!m.accept) {
      lines.push(`m=${m.media.kind} 0 ${m.media.protocol} ${m.media.codecs[0]?.payloadType ?? 0}`, 'c=IN IP4 0.0.0.0', `a=mid:${m.media.mid}`, 'a=inactive');
      continue;
    }
    const pt = m.codec.payloadType;
    lines.push(
      `m=${m.media.kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
      'c=IN IP4 0.0.0.0',
      `a=mid:${m.media.mid}`,
      `a=ice-ufrag:${init.iceUfrag}`,
      `a=ice-pwd:${init.icePwd}`,
      `a=fingerprint:sha-256 ${init.fingerprint}`,
      'a=setup:passive',
      `a=${m.direction}`,
      'a=rtcp-mux',
      ...(m.media.rtcpRsize ? ['a=rtcp-rsize'] : []),
      `a=rtpmap:${pt} ${rtpmapName(m.codec)}/${m.codec.clockRate}${m.codec.channels !== undefined ? `/${m.codec.channels}` : ''}`,
      ...m.feedback.map((f) => `a=rtcp-fb:${pt} ${f}`),
      ...(m.codec.fmtpLine !== undefined ? [`a=fmtp:${pt} ${m.codec.fmtpLine}`] : []),
    );
    if (m.ssrc !== undefined) {
      const track = `${init.streamId}-${m.media.kind}`;
      lines.push(`a=msid:${init.streamId} ${track}`, `a=ssrc:${m.ssrc} cname:${init.streamId}`, `a=ssrc:${m.ssrc} msid:${init.streamId} ${track}`);
    }
    init.candidates.forEach((c, i) => {
      // RFC 8445 §5.1.2.1 priority for a host candidate, component 1, earlier candidates preferred
      const priority = (126 << 24) + ((65535 - i) << 8) + 255;
      lines.push(`a=candidate:${i + 1} 1 udp ${priority} ${c.address} ${c.port} typ host`);
    });
    lines.push('a=end-of-candidates');
  }
  return `${lines.join('\r\n')}\r\n`;
}

const NAMES: Readonly<Record<string, string>> = { h264: 'H264', opus: 'opus', vp8: 'VP8', vp9: 'VP9', av1: 'AV1' };

function rtpmapName(codec: OfferedCodec): string {
  return NAMES[codec.encoding] ?? codec.encoding;
}

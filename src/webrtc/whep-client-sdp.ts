// The SDP of a receive-only WebRTC client (a WHEP player without a browser): the offer a browser would make for
// recvonly H.264 video and Opus audio on one BUNDLE transport (RFC 8829 §5.2, RFC 8843, RFC 8842 a=setup:actpass,
// RFC 8839 ICE attributes), and the parts of an ICE-lite server's answer the client needs: its credentials,
// fingerprint, host candidates and, per m= section, whether it was accepted, the payload type and the SSRC.
import { attributes, parseSdp, rtpMap } from '../rtsp/sdp.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type RecvOfferInit = Readonly<{
  iceUfrag: string;
  icePwd: string;
  /** our DTLS certificate's sha-256 fingerprint */
  fingerprint: string;
  /** o= session id (digits) */
  sessionId: string;
  video?: boolean;
  audio?: boolean;
}>;

/** H.264 payload types as browsers number them: Constrained Baseline and High, both packetization-mode 1. */
const H264_FORMATS = [
  { pt: 102, profile: '42e01f' },
  { pt: 108, profile: '640c1f' },
] as const;
const OPUS_PT = 111;

export function buildRecvOffer(init: RecvOfferInit): string {
  const video = init.video ?? true;
  const audio = init.audio ?? true;
  const sections: { kind: string; lines: string[] }[] = [];
  const transport = (mid: string) => [
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    `a=ice-ufrag:${init.iceUfrag}`,
    `a=ice-pwd:${init.icePwd}`,
    `a=fingerprint:sha-256 ${init.fingerprint}`,
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=recvonly',
    'a=rtcp-mux',
    'a=rtcp-rsize',
  ];
  if (video) {
    const mid = String(sections.length);
    const lines = [`m=video 9 UDP/TLS/RTP/SAVPF ${H264_FORMATS.map((f) => f.pt).join(' ')}`, ...transport(mid)];
    for (const f of H264_FORMATS) {
      lines.push(
        `a=rtpmap:${f.pt} H264/90000`,
        `a=rtcp-fb:${f.pt} nack`,
        `a=rtcp-fb:${f.pt} nack pli`,
        `a=rtcp-fb:${f.pt} ccm fir`,
        `a=fmtp:${f.pt} level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${f.profile}`,
      );
    }
    sections.push({ kind: 'video', lines });
  }
  if (audio) {
    const mid = String(sections.length);
    sections.push({
      kind: 'audio',
      lines: [`m=audio 9 UDP/TLS/RTP/SAVPF ${OPUS_PT}`, ...transport(mid), `a=rtpmap:${OPUS_PT} opus/48000/2`, `a=fmtp:${OPUS_PT} minptime=10;useinbandfec=1`],
    });
  }
  if (sections.length === 0) throw new RangeError('WHEP offer: neither video nor audio');
  const head = ['v=0', `o=- ${init.sessionId} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0', `a=group:BUNDLE ${sections.map((_, i) => i).join(' ')}`, 'a=msid-semantic: WMS'];
  return `${[...head, ...sections.flatMap((s) => s.lines)].join('\r\n')}\r\n`;
}

export type AnsweredSection = Readonly<{
  kind: string;
  mid: string;
  /** port 0 in the answer: the server will send nothing here */
  accepted: boolean;
  direction: string;
  payloadType?: number;
  /** lower case: "h264", "opus" */
  encoding?: string;
  clockRate?: number;
  /** the SSRC the server sends this section with (a=ssrc) */
  ssrc?: number;
}>;

export type WhepAnswer = Readonly<{
  iceUfrag: string;
  icePwd: string;
  /** upper-case hex with colons */
  fingerprint: string;
  iceLite: boolean;
  candidates: readonly Readonly<{ address: string; port: number }>[];
  media: readonly AnsweredSection[];
}>;

function bad(what: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `SDP answer: ${what}`);
}

export function parseWhepAnswer(text: string): WhepAnswer {
  const sdp = parseSdp(text);
  const session = (name: string) => attributes(sdp.session, name)[0];
  let iceUfrag = session('ice-ufrag');
  let icePwd = session('ice-pwd');
  let fingerprint = attributes(sdp.session, 'fingerprint').find((f) => /^sha-256\s/i.test(f))?.split(/\s+/)[1];
  const candidates: { address: string; port: number }[] = [];
  const media: AnsweredSection[] = [];
  for (const m of sdp.media) {
    const mid = attributes(m.lines, 'mid')[0];
    if (mid === undefined) bad(`m=${m.media} without a=mid`);
    const direction = ['sendrecv', 'sendonly', 'recvonly', 'inactive'].find((d) => attributes(m.lines, d).length > 0) ?? 'sendrecv';
    if (m.port === 0) {
      media.push({ kind: m.media, mid, accepted: false, direction });
      continue;
    }
    iceUfrag ??= attributes(m.lines, 'ice-ufrag')[0];
    icePwd ??= attributes(m.lines, 'ice-pwd')[0];
    fingerprint ??= attributes(m.lines, 'fingerprint').find((f) => /^sha-256\s/i.test(f))?.split(/\s+/)[1];
    for (const c of attributes(m.lines, 'candidate')) {
      // foundation component transport priority address port typ type …
      const parts = c.split(/\s+/);
      const port = Number(parts[5]);
      if (parts.length < 8 || parts[1] !== '1' || parts[2]!.toLowerCase() !== 'udp' || !Number.isInteger(port) || port < 1 || port > 65535) continue;
      if (!candidates.some((k) => k.address === parts[4] && k.port === port)) candidates.push({ address: parts[4]!, port });
    }
    const format = m.formats[0];
    const map = format === undefined ? undefined : rtpMap(m, format);
    const ssrcText = attributes(m.lines, 'ssrc')[0]?.split(/\s/)[0];
    const ssrc = ssrcText === undefined ? undefined : Number(ssrcText);
    media.push({
      kind: m.media,
      mid,
      accepted: true,
      direction,
      ...(format !== undefined && /^\d{1,3}$/.test(format) ? { payloadType: Number(format) } : {}),
      ...(map ? { encoding: map.encoding.toLowerCase(), clockRate: map.clockRate } : {}),
      ...(ssrc !== undefined && Number.isInteger(ssrc) && ssrc >= 0 && ssrc <= 0xffffffff ? { ssrc } : {}),
    });
  }
  if (!iceUfrag || !icePwd) bad('no a=ice-ufrag/a=ice-pwd');
  if (!fingerprint || !/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/.test(fingerprint)) bad('no sha-256 a=fingerprint');
  if (candidates.length === 0 && media.some((m) => m.accepted)) bad('no usable UDP candidate');
  return { iceUfrag, icePwd, fingerprint: fingerprint.toUpperCase(), iceLite: session('ice-lite') !== undefined, candidates, media };
}

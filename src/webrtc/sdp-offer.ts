// A WebRTC SDP offer as WHEP/WHIP receive it (RFC 8829 JSEP §5.8, RFC 8839 ICE attributes, RFC 8842 DTLS
// fingerprint/setup, RFC 8843 BUNDLE): ICE credentials, the DTLS fingerprint, and per m= section its mid,
// direction and offered codecs with their fmtp and rtcp-fb. Text in, value out; bad offers throw ProtocolError.
import { attributes, fmtp, parseSdp, rtpMap, type SdpMedia } from '../rtsp/sdp.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type OfferedCodec = Readonly<{
  payloadType: number;
  /** lower case: "h264", "opus", "rtx"… */
  encoding: string;
  clockRate: number;
  channels?: number;
  fmtp: ReadonlyMap<string, string>;
  /** the a=fmtp value as offered, echoed in the answer */
  fmtpLine: string | undefined;
  feedback: readonly string[];
}>;

export type OfferedMedia = Readonly<{
  kind: string;
  mid: string;
  protocol: string;
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  codecs: readonly OfferedCodec[];
  rtcpMux: boolean;
  rtcpRsize: boolean;
  /** SSRCs the offerer sends with (a=ssrc), for WHIP */
  ssrcs: readonly number[];
}>;

export type WebRtcOffer = Readonly<{
  iceUfrag: string;
  icePwd: string;
  /** sha-256 fingerprint, upper-case hex with colons */
  fingerprint: string;
  /** the offerer's a=setup: actpass or active lets us be the DTLS server */
  setup: string;
  media: readonly OfferedMedia[];
}>;

const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
/** RFC 8839 §5.4: ice-char is ALPHA / DIGIT / "+" / "/"; ufrag 4-256, pwd 22-256 characters. */
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const MID = /^[A-Za-z0-9_\-.]{1,32}$/;

function bad(what: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `SDP offer: ${what}`);
}

export function parseWebRtcOffer(text: string): WebRtcOffer {
  const sdp = parseSdp(text);
  if (sdp.media.length === 0) bad('no media');
  const sessionAttr = (name: string) => attributes(sdp.session, name)[0];
  let iceUfrag: string | undefined;
  let icePwd: string | undefined;
  let fingerprint: string | undefined;
  let setup: string | undefined;
  const media: OfferedMedia[] = [];
  for (const m of sdp.media) {
    const attr = (name: string) => attributes(m.lines, name)[0] ?? sessionAttr(name);
    const ufrag = attr('ice-ufrag');
    const pwd = attr('ice-pwd');
    const fp = attributes(m.lines, 'fingerprint').concat(attributes(sdp.session, 'fingerprint')).find((f) => /^sha-256\s/i.test(f));
    // BUNDLE: the first section's transport is the one used; the others must agree or are ignored
    iceUfrag ??= ufrag;
    icePwd ??= pwd;
    fingerprint ??= fp?.split(/\s+/)[1];
    setup ??= attr('setup');
    const mid = attributes(m.lines, 'mid')[0];
    if (mid === undefined || !MID.test(mid)) bad(`m=${m.media} without a usable a=mid`);
    media.push({
      kind: m.media,
      mid,
      protocol: m.protocol,
      direction: DIRECTIONS.find((d) => attributes(m.lines, d).length > 0) ?? 'sendrecv',
      codecs: m.port === 0 ? [] : codecsOf(m),
      rtcpMux: attributes(m.lines, 'rtcp-mux').length > 0,
      rtcpRsize: attributes(m.lines, 'rtcp-rsize').length > 0,
      ssrcs: [...new Set(attributes(m.lines, 'ssrc').map((v) => Number(v.split(/\s/)[0])).filter((n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff))],
    });
  }
  if (!iceUfrag || iceUfrag.length < 4 || iceUfrag.length > 256 || !ICE_CHARS.test(iceUfrag)) bad('missing or bad a=ice-ufrag');
  if (!icePwd || icePwd.length < 22 || icePwd.length > 256 || !ICE_CHARS.test(icePwd)) bad('missing or bad a=ice-pwd');
  if (!fingerprint || !/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/.test(fingerprint)) bad('no sha-256 a=fingerprint');
  if (setup !== 'actpass' && setup !== 'active') bad(`a=setup:${setup ?? '(none)'}: the offerer must be able to be the DTLS client`);
  if (new Set(media.map((m) => m.mid)).size !== media.length) bad('duplicate a=mid');
  return { iceUfrag, icePwd, fingerprint: fingerprint.toUpperCase(), setup, media };
}

function codecsOf(m: SdpMedia): OfferedCodec[] {
  const out: OfferedCodec[] = [];
  const feedback = attributes(m.lines, 'rtcp-fb');
  const fmtpLines = attributes(m.lines, 'fmtp');
  for (const format of m.formats) {
    if (!/^\d{1,3}$/.test(format) || Number(format) > 127) continue;
    const map = rtpMap(m, format);
    if (!map) continue;
    const line = fmtpLines.find((v) => v.split(/\s/)[0] === format);
    out.push({
      payloadType: Number(format),
      encoding: map.encoding.toLowerCase(),
      clockRate: map.clockRate,
      ...(map.channels !== undefined ? { channels: map.channels } : {}),
      fmtp: fmtp(m, format),
      fmtpLine: line === undefined ? undefined : line.slice(format.length).trim(),
      feedback: feedback.filter((v) => v.split(/\s/)[0] === format || v.split(/\s/)[0] === '*').map((v) => v.slice(v.indexOf(' ') + 1).trim()),
    });
  }
  return out;
}

/** The offered H.264 payload type that fits a stream of this profile_idc: packetization-mode 1, same profile if offered. */
export function chooseH264(media: OfferedMedia, profileIdc: number): OfferedCodec | undefined {
  const h264 = media.codecs.filter((c) => c.encoding === 'h264' && c.clockRate === 90_000 && c.fmtp.get('packetization-mode') === '1');
  const profileOf = (c: OfferedCodec) => parseInt((c.fmtp.get('profile-level-id') ?? '42e01f').slice(0, 2), 16);
  return h264.find((c) => profileOf(c) === profileIdc) ?? h264.find((c) => profileOf(c) === 0x42) ?? h264[0];
}

export function chooseOpus(media: OfferedMedia): OfferedCodec | undefined {
  return media.codecs.find((c) => c.encoding === 'opus' && c.clockRate === 48_000);
}

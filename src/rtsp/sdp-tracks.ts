// SDP media sections to RTP track descriptions (RFC 3551 §6 static payload types; codec parameters: H.264 RFC 6184
// §8.1, H.265 RFC 7798 §7.1, MPEG4-GENERIC RFC 3640 §4.1, MP4A-LATM RFC 6416 §7.1, Opus RFC 7587 §6.1, G.711 RFC 3551
// §4.5.14).
import { AudioCodec, VideoCodec } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { audioSpecificConfigOfStreamMuxConfig } from './depacketize-latm.ts';
import { fmtp, mediaControlUrl, rtpMap, type SdpMedia, type SessionDescription } from './sdp.ts';

export type H264Params = Readonly<{ codec: typeof VideoCodec.H264; sps: Uint8Array[]; pps: Uint8Array[]; packetizationMode: number }>;
export type H265Params = Readonly<{ codec: typeof VideoCodec.H265; vps: Uint8Array[]; sps: Uint8Array[]; pps: Uint8Array[]; donlPresent: boolean }>;
export type AacParams = Readonly<{
  codec: typeof AudioCodec.AAC;
  /** AudioSpecificConfig from fmtp config= */
  config: Uint8Array;
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}>;
/** AAC in LATM (RFC 6416 MP4A-LATM, cpresent=0): config is the AudioSpecificConfig taken out of the StreamMuxConfig */
export type AacLatmParams = Readonly<{ codec: typeof AudioCodec.AAC; config: Uint8Array; latm: true }>;
export type G711Params = Readonly<{ codec: typeof AudioCodec.G711A | typeof AudioCodec.G711U }>;
export type OpusParams = Readonly<{ codec: typeof AudioCodec.Opus; channels: number }>;
export type RtpCodecParams = H264Params | H265Params | AacParams | AacLatmParams | G711Params | OpusParams;

export type RtpTrackDescription = Readonly<{
  kind: 'video' | 'audio';
  payloadType: number;
  clockRate: number;
  channels: number;
  /** absolute control URL for SETUP */
  control: string;
  /** index of the m= section */
  mediaIndex: number;
  params: RtpCodecParams;
}>;

export type SkippedMedia = Readonly<{ mediaIndex: number; media: string; reason: string }>;

const STATIC_PT: Readonly<Record<string, { encoding: string; clockRate: number; channels: number }>> = {
  '0': { encoding: 'PCMU', clockRate: 8000, channels: 1 },
  '8': { encoding: 'PCMA', clockRate: 8000, channels: 1 },
};

/** Base64 NAL units of a sprop list; unreadable entries are left out (in-band parameter sets still work). */
export function decodeSpropList(value: string | undefined): Uint8Array[] {
  if (!value) return [];
  const out: Uint8Array[] = [];
  for (const item of value.split(',')) {
    const t = item.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) continue;
    const bytes = new Uint8Array(Buffer.from(t, 'base64'));
    if (bytes.length > 0) out.push(bytes);
  }
  return out;
}

function decodeHex(value: string): Uint8Array {
  if (!/^([0-9A-Fa-f]{2})+$/.test(value)) throw new ProtocolError(ProtocolErrorCode.Malformed, `SDP: hex config ${JSON.stringify(value.slice(0, 40))}`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

function intParam(params: ReadonlyMap<string, string>, key: string, fallback: number, max: number): number {
  const v = params.get(key);
  if (v === undefined) return fallback;
  if (!/^\d{1,3}$/.test(v) || Number(v) > max) throw new ProtocolError(ProtocolErrorCode.Malformed, `SDP fmtp ${key}=${v}`);
  return Number(v);
}

function codecParams(m: SdpMedia, pt: string, encoding: string, channels: number): RtpCodecParams | string {
  const p = fmtp(m, pt);
  switch (encoding.toUpperCase()) {
    case 'H264': {
      const sets = decodeSpropList(p.get('sprop-parameter-sets'));
      const packetizationMode = intParam(p, 'packetization-mode', 0, 2);
      if (packetizationMode === 2) return 'H.264 interleaved mode (packetization-mode=2)';
      return {
        codec: VideoCodec.H264,
        sps: sets.filter((n) => (n[0]! & 0x1f) === 7),
        pps: sets.filter((n) => (n[0]! & 0x1f) === 8),
        packetizationMode,
      };
    }
    case 'H265':
      return {
        codec: VideoCodec.H265,
        vps: decodeSpropList(p.get('sprop-vps')),
        sps: decodeSpropList(p.get('sprop-sps')),
        pps: decodeSpropList(p.get('sprop-pps')),
        donlPresent: intParam(p, 'sprop-max-don-diff', 0, 32767) > 0,
      };
    case 'MPEG4-GENERIC': {
      const mode = (p.get('mode') ?? '').toLowerCase();
      if (mode !== 'aac-hbr' && mode !== 'aac-lbr') return `MPEG4-GENERIC mode ${mode || '(none)'}`;
      const config = p.get('config');
      if (!config) return 'MPEG4-GENERIC without config';
      for (const k of ['ctsdeltalength', 'dtsdeltalength', 'randomaccessindication', 'streamstateindication', 'auxiliarydatasizelength']) {
        if (intParam(p, k, 0, 32) !== 0) return `MPEG4-GENERIC ${k}`;
      }
      const sizeLength = intParam(p, 'sizelength', 0, 32);
      if (sizeLength === 0) return 'MPEG4-GENERIC without sizelength';
      return {
        codec: AudioCodec.AAC,
        config: decodeHex(config),
        sizeLength,
        indexLength: intParam(p, 'indexlength', 0, 32),
        indexDeltaLength: intParam(p, 'indexdeltalength', 0, 32),
      };
    }
    case 'MP4A-LATM': {
      // cpresent defaults to 1 (the config in band), which we do not read
      if (p.get('cpresent') !== '0') return 'MP4A-LATM with the config in band (cpresent is not 0)';
      const config = p.get('config');
      if (!config) return 'MP4A-LATM without config';
      try {
        return { codec: AudioCodec.AAC, config: audioSpecificConfigOfStreamMuxConfig(decodeHex(config)), latm: true };
      } catch (err) {
        if (err instanceof ProtocolError && err.code !== ProtocolErrorCode.Malformed) return err.message;
        throw err;
      }
    }
    case 'PCMA':
      return { codec: AudioCodec.G711A };
    case 'PCMU':
      return { codec: AudioCodec.G711U };
    case 'OPUS': {
      const stereo = p.get('sprop-stereo') ?? p.get('stereo');
      return { codec: AudioCodec.Opus, channels: stereo === '0' ? 1 : Math.min(2, channels) };
    }
    default:
      return `codec ${encoding}`;
  }
}

/** The tracks we can depacketize, and why the others were skipped. */
export function describeTracks(sdp: SessionDescription, baseUrl: string): { tracks: RtpTrackDescription[]; skipped: SkippedMedia[] } {
  const tracks: RtpTrackDescription[] = [];
  const skipped: SkippedMedia[] = [];
  sdp.media.forEach((m, mediaIndex) => {
    const skip = (reason: string) => skipped.push({ mediaIndex, media: m.media, reason });
    if (m.media !== 'video' && m.media !== 'audio') return skip(`media ${m.media}`);
    if (!/^RTP\/S?AVPF?(\/(UDP|TCP))?$/i.test(m.protocol)) return skip(`protocol ${m.protocol}`);
    const pt = m.formats[0];
    if (pt === undefined || !/^\d{1,3}$/.test(pt) || Number(pt) > 127) return skip(`payload type ${pt ?? '(none)'}`);
    const map = rtpMap(m, pt) ?? STATIC_PT[pt];
    if (!map) return skip(`payload type ${pt} without rtpmap`);
    const channels = map.channels ?? 1;
    const params = codecParams(m, pt, map.encoding, channels);
    if (typeof params === 'string') return skip(params);
    const kind = params.codec === VideoCodec.H264 || params.codec === VideoCodec.H265 ? 'video' : 'audio';
    tracks.push({ kind, payloadType: Number(pt), clockRate: map.clockRate, channels, control: mediaControlUrl(sdp, m, baseUrl), mediaIndex, params });
  });
  return { tracks, skipped };
}

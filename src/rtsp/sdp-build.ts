// SDP for a stream's tracks, as an RTSP server answers DESCRIBE (RFC 2326 §C.1, RFC 4566 §5): one m= section per
// track with rtpmap/fmtp per codec (H.264 RFC 6184 §8.2.1, H.265 RFC 7798 §7.2, AAC RFC 3640 §4.1, Opus RFC 7587 §7,
// G.711 RFC 3551 static types) and a control URL per track relative to the Content-Base.
import { parseAudioSpecificConfig } from '../media/aac.ts';
import { parseAvcDecoderConfig } from '../media/h264.ts';
import { parseHevcDecoderConfig } from '../media/h265.ts';
import { OPUS_SAMPLE_RATE_HZ } from '../media/opus-head.ts';
import { AudioCodec, VideoCodec, type Track } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { SdpLine, SdpMedia, SessionDescription } from './sdp.ts';

export type SdpTrackPlan = Readonly<{
  track: Track;
  payloadType: number;
  clockRate: number;
  /** NAL units to send before keyframes (parameter sets), for the packetizer */
  parameterSets: readonly Uint8Array[];
  media: SdpMedia;
}>;

export const STATIC_PAYLOAD_TYPE = { PCMU: 0, PCMA: 8 } as const;
const DYNAMIC_PAYLOAD_TYPE_FIRST = 96;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const a = (value: string): SdpLine => ({ type: 'a', value });

/** The SDP plan of one track: its m= section and what its packetizer needs; `control` is e.g. "trackID=0". */
export function planTrack(track: Track, index: number, control: string): SdpTrackPlan {
  const pt = DYNAMIC_PAYLOAD_TYPE_FIRST + index;
  const section = (kind: string, payloadType: number, clockRate: number, lines: SdpLine[], parameterSets: Uint8Array[] = []): SdpTrackPlan => ({
    track,
    payloadType,
    clockRate,
    parameterSets,
    media: { media: kind, port: 0, protocol: 'RTP/AVP', formats: [String(payloadType)], lines: [...lines, a(`control:${control}`)] },
  });
  switch (track.codec) {
    case VideoCodec.H264: {
      const c = parseAvcDecoderConfig(track.config);
      const sps = c.sps[0];
      if (!sps || sps.length < 4) throw new ProtocolError(ProtocolErrorCode.Malformed, 'avcC without SPS');
      const profileLevelId = hex(sps.subarray(1, 4));
      const sprop = [...c.sps, ...c.pps].map(b64).join(',');
      return section('video', pt, 90_000, [
        a(`rtpmap:${pt} H264/90000`),
        a(`fmtp:${pt} packetization-mode=1; profile-level-id=${profileLevelId}; sprop-parameter-sets=${sprop}`),
      ], [...c.sps, ...c.pps]);
    }
    case VideoCodec.H265: {
      const c = parseHevcDecoderConfig(track.config);
      const fm = [`sprop-vps=${c.vps.map(b64).join(',')}`, `sprop-sps=${c.sps.map(b64).join(',')}`, `sprop-pps=${c.pps.map(b64).join(',')}`];
      return section('video', pt, 90_000, [a(`rtpmap:${pt} H265/90000`), a(`fmtp:${pt} ${fm.join('; ')}`)], [...c.vps, ...c.sps, ...c.pps]);
    }
    case AudioCodec.AAC: {
      const asc = parseAudioSpecificConfig(track.config);
      const rate = asc.sampleRateHz;
      return section('audio', pt, rate, [
        a(`rtpmap:${pt} MPEG4-GENERIC/${rate}/${asc.channels || 2}`),
        a(`fmtp:${pt} profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=${hex(track.config)}`),
      ]);
    }
    case AudioCodec.Opus: {
      const stereo = (track.config[9] ?? 2) >= 2 ? 1 : 0;
      return section('audio', pt, OPUS_SAMPLE_RATE_HZ, [a(`rtpmap:${pt} opus/48000/2`), a(`fmtp:${pt} sprop-stereo=${stereo}`)]);
    }
    case AudioCodec.G711A:
    case AudioCodec.G711U: {
      const name = track.codec === AudioCodec.G711A ? 'PCMA' : 'PCMU';
      const spt = STATIC_PAYLOAD_TYPE[name];
      return section('audio', spt, 8000, [a(`rtpmap:${spt} ${name}/8000`)]);
    }
    default:
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `RTSP: no RTP payload format for ${track.codec}`);
  }
}

/** A whole session description; `sessionId` and `originAddress` come from the caller (no clock or random here). */
export function buildSdp(
  plans: readonly SdpTrackPlan[],
  options: Readonly<{ sessionName: string; sessionId: string; originAddress: string }>,
): SessionDescription {
  const ipVersion = options.originAddress.includes(':') ? 'IP6' : 'IP4';
  const session: SdpLine[] = [
    { type: 'v', value: '0' },
    { type: 'o', value: `- ${options.sessionId} 1 IN ${ipVersion} ${options.originAddress}` },
    { type: 's', value: options.sessionName.replace(/[\r\n]/g, ' ') || 'Stream' },
    { type: 'c', value: `IN ${ipVersion} ${ipVersion === 'IP4' ? '0.0.0.0' : '::'}` },
    { type: 't', value: '0 0' },
    a('tool:weir'),
    a('range:npt=now-'),
    a('control:*'),
  ];
  return { session, media: plans.map((p) => p.media) };
}

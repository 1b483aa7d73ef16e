// Test helper: replays a recorded RTSP publish through the pure pipeline (RtspParser -> SDP -> SETUP channel map ->
// RTP parse -> RtpTrackReceiver) and writes what came out as files a real decoder can check.
import { encodeAdtsHeader, parseAudioSpecificConfig } from '../../src/media/aac.ts';
import { parseAvcDecoderConfig } from '../../src/media/h264.ts';
import { parseHevcDecoderConfig } from '../../src/media/h265.ts';
import type { MediaFrame, Track } from '../../src/media/types.ts';
import { splitLengthPrefixed } from '../../src/media/nal-units.ts';
import { parseRtcpCompound, type RtcpPacket } from '../../src/rtsp/rtcp.ts';
import { headerValue } from '../../src/rtsp/rtsp-message.ts';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';
import { parseTransport } from '../../src/rtsp/rtsp-transport.ts';
import { parseRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { RtpTrackReceiver } from '../../src/rtsp/rtp-track-receiver.ts';
import { parseSdp } from '../../src/rtsp/sdp.ts';
import { describeTracks } from '../../src/rtsp/sdp-tracks.ts';
import type { Recording } from './record-server.ts';

export type Replayed = { receivers: RtpTrackReceiver[]; tracks: Track[][]; frames: MediaFrame[][]; rtcp: RtcpPacket[][] };

/** `drop(channel)` true loses that RTP packet, as UDP would. */
export function replay(rec: Recording, drop: (channel: number) => boolean = () => false): Replayed {
  const { tracks: descriptions } = describeTracks(parseSdp(rec.sdp), rec.url);
  const receivers = descriptions.map((d, i) => new RtpTrackReceiver(d, i + 1));
  const byChannel = new Map<number, number>();
  const out: Replayed = { receivers, tracks: receivers.map(() => []), frames: receivers.map(() => []), rtcp: receivers.map(() => []) };
  for (const m of new RtspParser().push(rec.bytes)) {
    if (m.kind === 'request' && m.method === 'SETUP') {
      const index = descriptions.findIndex((d) => d.control === m.uri);
      const spec = parseTransport(headerValue(m.headers, 'transport') ?? '')[0]!;
      if (index >= 0 && spec.interleaved) {
        byChannel.set(spec.interleaved[0], index);
        byChannel.set(spec.interleaved[1], -1 - index);
      }
    }
    if (m.kind !== 'interleaved') continue;
    const index = byChannel.get(m.channel);
    if (index === undefined) continue;
    if (index < 0) {
      out.rtcp[-1 - index]!.push(...parseRtcpCompound(m.payload));
      continue;
    }
    if (drop(m.channel)) continue;
    for (const e of receivers[index]!.push(parseRtpPacket(m.payload))) {
      if (e.type === 'track') out.tracks[index]!.push(e.track);
      else out.frames[index]!.push(e.frame);
    }
  }
  return out;
}

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/** Annex B elementary stream: parameter sets of the track in force before each keyframe. */
export function toAnnexB(track: Track, frames: readonly MediaFrame[]): Uint8Array {
  const params = track.codec === 'h264'
    ? (() => { const c = parseAvcDecoderConfig(track.config); return [...c.sps, ...c.pps]; })()
    : (() => { const c = parseHevcDecoderConfig(track.config); return [...c.vps, ...c.sps, ...c.pps]; })();
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const nals = [...(f.keyframe ? params : []), ...splitLengthPrefixed(f.data)];
    for (const n of nals) parts.push(START_CODE, n);
  }
  return Buffer.concat(parts);
}

export function toAdts(track: Track, frames: readonly MediaFrame[]): Uint8Array {
  const asc = parseAudioSpecificConfig(track.config);
  return Buffer.concat(frames.flatMap((f) => [encodeAdtsHeader(asc, f.data.length), f.data]));
}

// MPEG-TS muxer for HLS (ISO/IEC 13818-1 §2.4, RFC 8216 §3.2): one program, PAT/PMT on demand, one PES per frame;
// H.264/H.265 as Annex B with AUD (Table 2-34 types 0x1B/0x24), AAC as ADTS (0x0F), MP3 raw (0x03/0x04), and for
// the live MPEG-TS output only (isTsMuxable) Opus as private data (0x06, ts-opus.ts), which HLS clients do not play.
import { encodeAdtsHeader, parseAudioSpecificConfig, type AudioSpecificConfig } from '../media/aac.ts';
import { parseAvcDecoderConfig } from '../media/h264.ts';
import { parseHevcDecoderConfig } from '../media/h265.ts';
import { parseOpusHead } from '../media/opus-head.ts';
import { AudioCodec, VideoCodec, type MediaFrame, type Track } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { annexBPieces, type AnnexBConfig } from './ts-annexb.ts';
import {
  CONTINUITY_COUNTER_MODULO,
  PesStreamId,
  REGISTRATION_DESCRIPTOR_TAG,
  TS_PACKET_BYTES,
  TsPid,
  TsStreamType,
} from './ts-codes.ts';
import { encodeOpusControlHeader, opusDescriptors } from './ts-opus.ts';
import { packetizePes } from './ts-packetizer.ts';
import { encodePesHeader, toMpegTicks } from './ts-pes.ts';
import { encodePatSection, encodePmtSection, writePsiPacket, type PmtStream } from './ts-psi.ts';

/** registration_descriptor with format_identifier "HEVC", as ffmpeg writes for stream_type 0x24 */
const HEVC_REGISTRATION_DESCRIPTOR = Uint8Array.of(REGISTRATION_DESCRIPTOR_TAG, 4, 0x48, 0x45, 0x56, 0x43);
/** MPEG audio frame header: 11-bit sync, then version ID (ISO/IEC 11172-3 §2.4.1.3, 13818-3 §2.4.1.3) */
const MpegAudioVersionId = { Mpeg2_5: 0, Mpeg2: 2, Mpeg1: 3 } as const;

/** What HLS (RFC 8216 §3.2) and TS recordings carry: the codecs HLS players decode from MPEG-TS. */
export function isTsSupported(track: Track): boolean {
  if (track.kind === 'video') return track.codec === VideoCodec.H264 || track.codec === VideoCodec.H265;
  return track.codec === AudioCodec.AAC || track.codec === AudioCodec.MP3;
}

/** What TsMuxer writes: the HLS set plus Opus, which SRT/UDP receivers (ffmpeg, GStreamer, VLC) demux. */
export function isTsMuxable(track: Track): boolean {
  return isTsSupported(track) || (track.kind === 'audio' && track.codec === AudioCodec.Opus);
}

type VideoState = { track: Track; annexB: AnnexBConfig; continuityCounter: number };
type AudioState = {
  track: Track;
  asc: AudioSpecificConfig | undefined;
  /** Opus only: the channel count for its PMT descriptor */
  opusChannels: number | undefined;
  continuityCounter: number;
};

function checkTrack(track: Track, kind: Track['kind']): void {
  if (track.kind !== kind || !isTsMuxable(track)) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `MPEG-TS: ${track.kind} codec ${track.codec} as ${kind}`);
  }
  if (!Number.isFinite(track.timescale) || track.timescale <= 0) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `MPEG-TS: timescale ${track.timescale}`);
  }
}

function videoState(track: Track): VideoState {
  checkTrack(track, 'video');
  if (track.codec === VideoCodec.H264) {
    const avcC = parseAvcDecoderConfig(track.config);
    const parameterSets = [...avcC.sps, ...avcC.pps];
    const annexB = { codec: VideoCodec.H264, lengthSizeBytes: avcC.lengthSizeBytes, parameterSets };
    return { track, annexB, continuityCounter: 0 };
  }
  const hvcC = parseHevcDecoderConfig(track.config);
  const parameterSets = [...hvcC.vps, ...hvcC.sps, ...hvcC.pps];
  const annexB = { codec: VideoCodec.H265, lengthSizeBytes: hvcC.lengthSizeBytes, parameterSets };
  return { track, annexB, continuityCounter: 0 };
}

function audioState(track: Track): AudioState {
  checkTrack(track, 'audio');
  if (track.codec === AudioCodec.Opus) {
    const head = parseOpusHead(track.config);
    // the TS mapping names mono and stereo by count; other layouts need a mapping table it has no room for here
    if (head.mappingFamily !== 0 || (head.channels !== 1 && head.channels !== 2)) {
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `MPEG-TS: Opus with ${head.channels} channels, mapping family ${head.mappingFamily}`);
    }
    return { track, asc: undefined, opusChannels: head.channels, continuityCounter: 0 };
  }
  if (track.codec !== AudioCodec.AAC) return { track, asc: undefined, opusChannels: undefined, continuityCounter: 0 };
  const asc = parseAudioSpecificConfig(track.config);
  encodeAdtsHeader(asc, 0); // throws now, not on the first frame, when ADTS cannot express this config
  return { track, asc, opusChannels: undefined, continuityCounter: 0 };
}

/** MP3: 0x04 when the config holds an MPEG-2/2.5 frame header (half sample rates, as ffmpeg decides), else 0x03. */
function mp3StreamType(config: Uint8Array): TsStreamType {
  const [b0, b1] = config;
  if (b0 !== 0xff || b1 === undefined || (b1 & 0xe0) !== 0xe0) return TsStreamType.Mpeg1Audio;
  const version = (b1 >> 3) & 0x03;
  return version === MpegAudioVersionId.Mpeg2 || version === MpegAudioVersionId.Mpeg2_5
    ? TsStreamType.Mpeg2Audio
    : TsStreamType.Mpeg1Audio;
}

export class TsMuxer {
  private readonly video: VideoState | undefined;
  private readonly audio: AudioState | undefined;
  private readonly pcrPid: number;
  private readonly pat: Uint8Array;
  private readonly pmt: Uint8Array;
  private patContinuityCounter = 0;
  private pmtContinuityCounter = 0;

  constructor(tracks: { video?: Track; audio?: Track }) {
    this.video = tracks.video === undefined ? undefined : videoState(tracks.video);
    this.audio = tracks.audio === undefined ? undefined : audioState(tracks.audio);
    if (this.video === undefined && this.audio === undefined) {
      throw new ProtocolError(ProtocolErrorCode.BadState, 'MPEG-TS: no track to mux');
    }
    if (this.video !== undefined && this.audio !== undefined && this.video.track.id === this.audio.track.id) {
      throw new ProtocolError(ProtocolErrorCode.BadState, `MPEG-TS: video and audio share track id ${this.video.track.id}`);
    }
    this.pcrPid = this.video !== undefined ? TsPid.Video : TsPid.Audio;
    const streams: PmtStream[] = [];
    if (this.video !== undefined) {
      streams.push(
        this.video.annexB.codec === VideoCodec.H264
          ? { streamType: TsStreamType.H264, pid: TsPid.Video }
          : { streamType: TsStreamType.H265, pid: TsPid.Video, descriptors: HEVC_REGISTRATION_DESCRIPTOR },
      );
    }
    if (this.audio !== undefined) {
      const { asc, opusChannels } = this.audio;
      if (opusChannels !== undefined) {
        streams.push({ streamType: TsStreamType.PrivateData, pid: TsPid.Audio, descriptors: opusDescriptors(opusChannels) });
      } else {
        const streamType = asc !== undefined ? TsStreamType.AacAdts : mp3StreamType(this.audio.track.config);
        streams.push({ streamType, pid: TsPid.Audio });
      }
    }
    this.pat = encodePatSection(TsPid.Pmt);
    this.pmt = encodePmtSection(this.pcrPid, streams);
  }

  /** PAT + PMT (188-byte packets); the segmenter writes them at the start of every segment. */
  writeTables(): Uint8Array {
    const out = new Uint8Array(2 * TS_PACKET_BYTES);
    writePsiPacket(out, 0, TsPid.Pat, this.patContinuityCounter, this.pat);
    writePsiPacket(out, TS_PACKET_BYTES, TsPid.Pmt, this.pmtContinuityCounter, this.pmt);
    this.patContinuityCounter = (this.patContinuityCounter + 1) % CONTINUITY_COUNTER_MODULO;
    this.pmtContinuityCounter = (this.pmtContinuityCounter + 1) % CONTINUITY_COUNTER_MODULO;
    return out;
  }

  /** One PES for one frame, packetized into 188-byte TS packets (one allocation for the result). */
  writeFrame(frame: MediaFrame): Uint8Array {
    if (this.video !== undefined && frame.trackId === this.video.track.id) return this.writeVideo(this.video, frame);
    if (this.audio !== undefined && frame.trackId === this.audio.track.id) return this.writeAudio(this.audio, frame);
    throw new ProtocolError(ProtocolErrorCode.BadState, `MPEG-TS: frame of unknown track ${frame.trackId}`);
  }

  private writeVideo(state: VideoState, frame: MediaFrame): Uint8Array {
    const { timescale } = state.track;
    const dts90k = toMpegTicks(frame.dts, timescale);
    const pts90k = toMpegTicks(frame.pts, timescale);
    const es = annexBPieces(state.annexB, frame.data, frame.keyframe);
    const header = encodePesHeader({ streamId: PesStreamId.Video, pts90k, dts90k, payloadBytes: undefined });
    return this.packetize(state, [header, ...es], {
      pid: TsPid.Video,
      randomAccess: frame.keyframe,
      pcr90k: this.pcrPid === TsPid.Video ? dts90k : undefined,
    });
  }

  private writeAudio(state: AudioState, frame: MediaFrame): Uint8Array {
    const { timescale } = state.track;
    const pts90k = toMpegTicks(frame.pts, timescale);
    const opus = state.opusChannels !== undefined;
    let es = [frame.data];
    if (state.asc !== undefined) es = [encodeAdtsHeader(state.asc, frame.data.length), frame.data];
    else if (opus) es = [encodeOpusControlHeader(frame.data.length), frame.data];
    const payloadBytes = es.reduce((n, piece) => n + piece.length, 0);
    const streamId = opus ? PesStreamId.PrivateStream1 : PesStreamId.Audio;
    const header = encodePesHeader({ streamId, pts90k, dts90k: pts90k, payloadBytes });
    // Every AAC/MP3/Opus frame decodes on its own: each audio PES is a random access point (as ffmpeg marks them).
    return this.packetize(state, [header, ...es], {
      pid: TsPid.Audio,
      randomAccess: true,
      pcr90k: this.pcrPid === TsPid.Audio ? toMpegTicks(frame.dts, timescale) : undefined,
    });
  }

  private packetize(
    state: VideoState | AudioState,
    pieces: Uint8Array[],
    options: { pid: number; randomAccess: boolean; pcr90k: number | undefined },
  ): Uint8Array {
    const totalBytes = pieces.reduce((n, piece) => n + piece.length, 0);
    const { bytes, nextContinuityCounter } = packetizePes(pieces, totalBytes, {
      ...options,
      continuityCounter: state.continuityCounter,
    });
    state.continuityCounter = nextContinuityCounter;
    return bytes;
  }
}

// One recording file as tracks and samples, whichever format it was written in: fMP4 files are
// read with their own sample tables (fmp4-demuxer.ts), MPEG-TS files through the TS demuxer and
// the FLV vocabulary the recorder started from (ts-ingest.ts -> flv-media-demuxer.ts). Timelines
// start at zero (the earliest sample of the file), in each track's timescale. Pure.
import { FlvMediaDemuxer } from '../flv/flv-media-demuxer.ts';
import { TsIngest } from '../flv/ts-ingest.ts';
import { sameBytes } from '../media/bytes.ts';
import type { Track, TrackKind } from '../media/types.ts';
import { parseFmp4Init, parseFmp4Segment } from '../remux/fmp4-demuxer.ts';
import type { RecordingFormat } from '../shared/config-protocol.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { splitRecordedFmp4 } from './recorded-fmp4.ts';

export type RecordedSample = Readonly<{ kind: TrackKind; dts: number; pts: number; keyframe: boolean; data: Uint8Array }>;

export type RecordedMedia = Readonly<{
  /** at most one video and one audio track */
  tracks: readonly Track[];
  /** in file order; dts and pts in the sample's track timescale, from zero */
  samples: readonly RecordedSample[];
}>;

export function readRecordedFile(bytes: Uint8Array, format: RecordingFormat): RecordedMedia {
  const media = format === 'fmp4' ? readFmp4(bytes) : readTs(bytes);
  return startAtZero(media);
}

function readFmp4(bytes: Uint8Array): RecordedMedia {
  const { init, media } = splitRecordedFmp4(bytes);
  const parsed = parseFmp4Init(init);
  const tracks: Track[] = [];
  const kinds = new Map<number, TrackKind>();
  for (const info of parsed.tracks) {
    if (info.codec === undefined || tracks.some((t) => t.kind === info.kind)) continue;
    tracks.push({ id: tracks.length + 1, kind: info.kind, codec: info.codec, timescale: info.timescale, config: info.config });
    kinds.set(info.trackId, info.kind);
  }
  const samples: RecordedSample[] = [];
  for (const frame of parseFmp4Segment(media, parsed)) {
    const kind = kinds.get(frame.trackId);
    if (kind) samples.push({ kind, dts: frame.dts, pts: frame.pts, keyframe: frame.keyframe, data: frame.data });
  }
  return { tracks, samples };
}

function readTs(bytes: Uint8Array): RecordedMedia {
  const ingest = new TsIngest();
  const demuxer = new FlvMediaDemuxer();
  const tags = [...ingest.push(bytes).tags, ...ingest.flush()];
  const samples: RecordedSample[] = [];
  for (const tag of tags) {
    for (const event of demuxer.push(tag.type, tag.timestampMs, tag.body)) {
      if (event.type !== 'frame') continue;
      const track = event.frame.trackId === demuxer.videoTrack?.id ? demuxer.videoTrack : demuxer.audioTrack;
      if (!track) continue;
      const { dts, pts, keyframe, data } = event.frame;
      samples.push({ kind: track.kind, dts, pts, keyframe, data });
    }
  }
  const tracks = [demuxer.videoTrack, demuxer.audioTrack].filter((t): t is Track => t !== null);
  return { tracks, samples };
}

/** Moves every track by the same number of seconds so the earliest sample of the file is at zero. */
function startAtZero(media: RecordedMedia): RecordedMedia {
  if (media.samples.length === 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'recording file without samples');
  const timescale = (kind: TrackKind): number => media.tracks.find((t) => t.kind === kind)!.timescale;
  let firstSec = Infinity;
  for (const s of media.samples) firstSec = Math.min(firstSec, s.dts / timescale(s.kind));
  const shift = new Map(media.tracks.map((t) => [t.kind, Math.round(firstSec * t.timescale)]));
  if ([...shift.values()].every((v) => v === 0)) return media;
  return { tracks: media.tracks, samples: media.samples.map((s) => ({ ...s, dts: s.dts - shift.get(s.kind)!, pts: s.pts - shift.get(s.kind)! })) };
}

/** Whether two files' tracks can share one MP4 track list (same codecs and configurations). */
export function sameTracks(a: readonly Track[], b: readonly Track[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((t) => {
    const other = b.find((u) => u.kind === t.kind);
    return other !== undefined && other.codec === t.codec && other.timescale === t.timescale && sameBytes(other.config, t.config);
  });
}

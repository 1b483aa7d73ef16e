// The movie box of an MP4 file read for VOD (ISO/IEC 14496-12 §8.2-§8.5; ISO/IEC 14496-15 avcC/hvcC;
// ISO/IEC 14496-14 esds): the first H.264/HEVC video track and the first AAC audio track, each with its
// decoder configuration and sample table. Other tracks (timecode, subtitles, other codecs) are left out.
// A fragmented file (moov with mvex) is reported as such: its samples are in the fragments, not here.
import { AudioCodec, type Track, VideoCodec } from '../media/types.ts';
import { ascFromEsds } from '../remux/fmp4-demuxer.ts';
import { ProtocolErrorCode } from '../shared/protocol-error.ts';
import { type Box, childBoxes, childOf, childrenOf, fourCc, mp4Fail, requireBox, u16, u32 } from './mp4-box.ts';
import { isVersion1, parseSampleTable, type SampleTable } from './mp4-sample-table.ts';

export type VodTrack = Readonly<{ track: Track; table: SampleTable }>;

export type Mp4Movie = Readonly<{
  /** the video track first when there is one */
  tracks: readonly VodTrack[];
  /** samples are in movie fragments (moof), not in the sample tables */
  fragmented: boolean;
  /** codecs of tracks left out, for messages */
  skipped: readonly string[];
}>;

/** VisualSampleEntry and AudioSampleEntry fields before their child boxes (§12.1.3, §12.2.3). */
const VISUAL_ENTRY_FIELDS = 78;
const AUDIO_ENTRY_FIELDS = 28;
/** QuickTime sound sample entry versions 1 and 2 carry more fields before the child boxes */
const QUICKTIME_SOUND_EXTRA = { 1: 16, 2: 36 } as const;

type Entry = Readonly<{ codec: Track['codec']; config: Uint8Array }> | Readonly<{ codec: null; name: string }>;

function readEntry(b: Uint8Array, stsd: Box, kind: 'video' | 'audio'): Entry {
  const entry = childBoxes(b, stsd.payload + 8, stsd.end)[0];
  if (!entry) mp4Fail('empty stsd');
  const inner = (fields: number, type: string): Box | undefined => childBoxes(b, entry.payload + fields, entry.end).find((x) => x.type === type);
  if (kind === 'video') {
    if (entry.type === 'avc1' || entry.type === 'avc3') {
      const avcC = inner(VISUAL_ENTRY_FIELDS, 'avcC');
      if (!avcC) mp4Fail(`${entry.type} without avcC`);
      return { codec: VideoCodec.H264, config: b.slice(avcC.payload, avcC.end) };
    }
    if (entry.type === 'hvc1' || entry.type === 'hev1') {
      const hvcC = inner(VISUAL_ENTRY_FIELDS, 'hvcC');
      if (!hvcC) mp4Fail(`${entry.type} without hvcC`);
      return { codec: VideoCodec.H265, config: b.slice(hvcC.payload, hvcC.end) };
    }
    return { codec: null, name: entry.type };
  }
  if (entry.type !== 'mp4a') return { codec: null, name: entry.type };
  const version = u16(b, entry.payload + 8);
  const fields = AUDIO_ENTRY_FIELDS + (version === 1 || version === 2 ? QUICKTIME_SOUND_EXTRA[version] : 0);
  const esds = inner(fields, 'esds');
  if (!esds) mp4Fail('mp4a without esds');
  const config = ascFromEsds(b, esds);
  // esds object type 0x40 is AAC; mp3-in-mp4 (0x6b) has no AudioSpecificConfig and fails above
  return { codec: AudioCodec.AAC, config };
}

/**
 * Reads `moov` (the bytes of the moov box alone, starting at its header). `fileSize` bounds the
 * sample offsets, which are file positions. Throws a ProtocolError saying what is wrong or missing.
 */
export function parseMp4Movie(moov: Uint8Array, fileSize: number): Mp4Movie {
  const root = childBoxes(moov, 0, moov.length)[0];
  if (!root || root.type !== 'moov') mp4Fail('not a moov box');
  const fragmented = childOf(moov, root, 'mvex') !== undefined;
  let video: VodTrack | undefined;
  let audio: VodTrack | undefined;
  const skipped: string[] = [];
  for (const trak of childrenOf(moov, root, 'trak')) {
    const tkhd = requireBox(moov, trak, 'tkhd');
    const mdhd = requireBox(moov, trak, 'mdia', 'mdhd');
    const hdlr = requireBox(moov, trak, 'mdia', 'hdlr');
    const handler = fourCc(moov, hdlr.payload + 8);
    if (handler !== 'vide' && handler !== 'soun') continue;
    const kind = handler === 'vide' ? 'video' : 'audio';
    if ((kind === 'video' && video) || (kind === 'audio' && audio)) continue;
    const trackId = u32(moov, tkhd.payload + (isVersion1(moov, tkhd) ? 20 : 12));
    const timescale = u32(moov, mdhd.payload + (isVersion1(moov, mdhd) ? 20 : 12));
    if (timescale === 0) mp4Fail(`track ${trackId}: timescale 0`);
    const stbl = requireBox(moov, trak, 'mdia', 'minf', 'stbl');
    const entry = readEntry(moov, requireBox(moov, stbl, 'stsd'), kind);
    if (entry.codec === null) {
      skipped.push(`${kind} ${entry.name}`);
      continue;
    }
    const table = parseSampleTable(moov, stbl, fileSize);
    const vodTrack: VodTrack = { track: { id: trackId, kind, codec: entry.codec, timescale, config: entry.config }, table };
    if (kind === 'video') video = vodTrack;
    else audio = vodTrack;
  }
  const tracks = [video, audio].filter((t): t is VodTrack => t !== undefined);
  if (tracks.length === 0) {
    const why = skipped.length > 0 ? `codecs ${skipped.join(', ')} are not H.264/HEVC video or AAC audio` : 'no video or audio track';
    mp4Fail(why, ProtocolErrorCode.Unsupported);
  }
  if (video && audio && video.track.id === audio.track.id) mp4Fail(`two tracks with id ${video.track.id}`);
  if (!fragmented && tracks.every((t) => t.table.count === 0)) mp4Fail('no samples in any track');
  return { tracks, fragmented, skipped };
}


// The fragmented-MP4 initialization segment: ftyp + moov with mvhd, one trak per track (tkhd, mdia/mdhd/hdlr,
// minf with empty sample tables and the sample entry) and mvex/trex (ISO/IEC 14496-12 §4.3, §8.2-§8.8.3; CMAF 23000-19 §7.3).
import { type AudioSampleEntry, writeAudioSampleEntry } from './fmp4-audio-entry.ts';
import { type VideoSampleEntry, displayWidthFixed, writeVideoSampleEntry } from './fmp4-video-entry.ts';
import {
  BoxType,
  Brand,
  DataEntryFlags,
  FIXED_16_16_ONE,
  FIXED_8_8_ONE,
  HandlerType,
  LANGUAGE_UNDETERMINED,
  TrackHeaderFlags,
  UNITY_MATRIX,
  VideoMediaHeaderFlags,
} from './mp4-box-types.ts';
import { type Mp4Writer, writeMeasured } from './mp4-writer.ts';

/** One track as the muxer writes it. */
export type Fmp4Track = {
  /** track_ID in the file: 1-based position in the muxer's track list */
  mp4TrackId: number;
  /** ticks per second of the track's dts/pts, written as the mdhd timescale */
  timescale: number;
  entry: VideoSampleEntry | AudioSampleEntry;
};

export const FTYP_MAJOR_BRAND = Brand.Iso6;
export const FTYP_COMPATIBLE_BRANDS: readonly Brand[] = [Brand.Iso6, Brand.Cmfc, Brand.Isom, Brand.Mp41];
/** mvhd timescale: durations there are all 0 in a fragmented file, so any value works. */
export const MOVIE_TIMESCALE = 1000;
const HANDLER_NAMES = { [HandlerType.Video]: 'VideoHandler', [HandlerType.Audio]: 'SoundHandler' } as const;
const DATA_ENTRY_COUNT = 1;
const SAMPLE_DESCRIPTION_INDEX = 1;
/** one sample entry per track: a new codec config makes a new muxer and init segment */
const SAMPLE_ENTRY_COUNT = 1;

export function writeInitSegment(tracks: readonly Fmp4Track[]): Uint8Array {
  return writeMeasured((w) => {
    w.box(BoxType.Ftyp, () => {
      w.fourCc(FTYP_MAJOR_BRAND);
      w.u32(0); // minor_version
      for (const brand of FTYP_COMPATIBLE_BRANDS) w.fourCc(brand);
    });
    w.box(BoxType.Moov, () => {
      writeMvhd(w, tracks);
      for (const track of tracks) writeTrak(w, track);
      w.box(BoxType.Mvex, () => {
        for (const track of tracks) writeTrex(w, track);
      });
    });
  });
}

function writeMatrix(w: Mp4Writer): void {
  for (const value of UNITY_MATRIX) w.u32(value);
}

/** Durations of a progressive file's track (a fragmented file's are all 0). */
export type TrackDurations = Readonly<{ movieTicks: number; mediaTicks: number }>;

export function writeMvhd(w: Mp4Writer, tracks: readonly Fmp4Track[], durationMovieTicks = 0): void {
  let nextTrackId = 1;
  for (const t of tracks) nextTrackId = Math.max(nextTrackId, t.mp4TrackId + 1);
  w.fullBox(BoxType.Mvhd, 0, 0, () => {
    w.u32(0); // creation_time
    w.u32(0); // modification_time
    w.u32(MOVIE_TIMESCALE);
    w.u32(durationMovieTicks); // 0 in a fragmented file: unknown
    w.u32(FIXED_16_16_ONE); // rate
    w.u16(FIXED_8_8_ONE); // volume
    w.zeros(10); // reserved(16), reserved(32)[2]
    writeMatrix(w);
    w.zeros(24); // pre_defined[6]
    w.u32(nextTrackId);
  });
}

/**
 * One trak. A progressive file passes its durations and writes its sample tables after the stsd;
 * a fragmented one leaves both out (empty tables, samples in the fragments).
 */
export function writeTrak(w: Mp4Writer, track: Fmp4Track, durations?: TrackDurations, writeTables: (w: Mp4Writer) => void = writeEmptyTables): void {
  const { entry } = track;
  w.box(BoxType.Trak, () => {
    w.fullBox(BoxType.Tkhd, 0, TrackHeaderFlags.Enabled | TrackHeaderFlags.InMovie, () => {
      w.u32(0); // creation_time
      w.u32(0); // modification_time
      w.u32(track.mp4TrackId);
      w.u32(0); // reserved
      w.u32(durations?.movieTicks ?? 0); // duration
      w.zeros(8); // reserved[2]
      w.i16(0); // layer
      w.i16(0); // alternate_group
      w.u16(entry.kind === 'audio' ? FIXED_8_8_ONE : 0); // volume
      w.u16(0); // reserved
      writeMatrix(w);
      w.u32(entry.kind === 'video' ? displayWidthFixed(entry) : 0);
      w.u32(entry.kind === 'video' ? entry.height * FIXED_16_16_ONE : 0);
    });
    w.box(BoxType.Mdia, () => {
      w.fullBox(BoxType.Mdhd, 0, 0, () => {
        w.u32(0); // creation_time
        w.u32(0); // modification_time
        w.u32(track.timescale);
        w.u32(durations?.mediaTicks ?? 0); // duration
        w.u16(LANGUAGE_UNDETERMINED);
        w.u16(0); // pre_defined
      });
      const handler = entry.kind === 'video' ? HandlerType.Video : HandlerType.Audio;
      w.fullBox(BoxType.Hdlr, 0, 0, () => {
        w.u32(0); // pre_defined
        w.fourCc(handler);
        w.zeros(12); // reserved[3]
        writeCString(w, HANDLER_NAMES[handler]);
      });
      w.box(BoxType.Minf, () => writeMinf(w, entry, writeTables));
    });
  });
}

function writeMinf(w: Mp4Writer, entry: VideoSampleEntry | AudioSampleEntry, writeTables: (w: Mp4Writer) => void): void {
  if (entry.kind === 'video') {
    w.fullBox(BoxType.Vmhd, 0, VideoMediaHeaderFlags.Required, () => w.zeros(8)); // graphicsmode, opcolor[3]
  } else {
    w.fullBox(BoxType.Smhd, 0, 0, () => w.zeros(4)); // balance, reserved
  }
  w.box(BoxType.Dinf, () => {
    w.fullBox(BoxType.Dref, 0, 0, () => {
      w.u32(DATA_ENTRY_COUNT);
      w.fullBox(BoxType.Url, 0, DataEntryFlags.SelfContained, () => {});
    });
  });
  w.box(BoxType.Stbl, () => {
    w.fullBox(BoxType.Stsd, 0, 0, () => {
      w.u32(SAMPLE_ENTRY_COUNT);
      if (entry.kind === 'video') writeVideoSampleEntry(w, entry);
      else writeAudioSampleEntry(w, entry);
    });
    writeTables(w);
  });
}

function writeEmptyTables(w: Mp4Writer): void {
  w.fullBox(BoxType.Stts, 0, 0, () => w.u32(0)); // entry_count
  w.fullBox(BoxType.Stsc, 0, 0, () => w.u32(0)); // entry_count
  w.fullBox(BoxType.Stsz, 0, 0, () => {
    w.u32(0); // sample_size
    w.u32(0); // sample_count
  });
  w.fullBox(BoxType.Stco, 0, 0, () => w.u32(0)); // entry_count
}

function writeTrex(w: Mp4Writer, track: Fmp4Track): void {
  w.fullBox(BoxType.Trex, 0, 0, () => {
    w.u32(track.mp4TrackId);
    w.u32(SAMPLE_DESCRIPTION_INDEX);
    w.u32(0); // default_sample_duration
    w.u32(0); // default_sample_size
    w.u32(0); // default_sample_flags
  });
}

/** An ASCII name with its terminating NUL (hdlr name is UTF-8, null-terminated). */
function writeCString(w: Mp4Writer, text: string): void {
  for (let i = 0; i < text.length; i++) w.u8(text.charCodeAt(i));
  w.u8(0);
}

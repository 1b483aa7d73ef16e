// Fragmented-MP4 (CMAF) reader for HLS pull: an init segment (ftyp + moov: tkhd track_ID, hdlr vide/soun, mdhd timescale,
// stsd avc1/avc3 (avcC), hvc1/hev1 (hvcC), mp4a (esds -> AudioSpecificConfig), mvex/trex defaults) and media segments
// (one or more moof + mdat: tfhd, tfdt, trun) into frames (ISO/IEC 14496-12 §8.8, ISO/IEC 14496-15, ISO/IEC 14496-14).
// Pure: bytes in, values out. Timestamps are in each track's timescale.
import { readUint16BE, readUint32BE } from '../media/bytes.ts';
import { AudioCodec, VideoCodec, type MediaFrame } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type Fmp4Codec = typeof VideoCodec.H264 | typeof VideoCodec.H265 | typeof AudioCodec.AAC;

export type Fmp4TrackInfo = Readonly<{
  trackId: number;
  kind: 'video' | 'audio';
  timescale: number;
  /** the sample entry's four-character code (avc1, hvc1, mp4a, ...) */
  sampleEntry: string;
  /** undefined when the sample entry is one we do not read */
  codec: Fmp4Codec | undefined;
  /** avcC, hvcC or AudioSpecificConfig bytes; empty when the entry has none */
  config: Uint8Array;
  /** bytes in each NAL length prefix (video), from the avcC/hvcC */
  nalLengthSize: number;
}>;

type TrackDefaults = { duration: number; size: number; flags: number };

export type Fmp4Init = Readonly<{
  tracks: readonly Fmp4TrackInfo[];
  /** mvex/trex defaults per track_ID */
  defaults: ReadonlyMap<number, Readonly<TrackDefaults>>;
}>;

/** A demuxed sample is a MediaFrame: length-prefixed NAL units (video) or one raw AAC frame. */
export type Fmp4Frame = MediaFrame;

export type Box = { type: string; start: number; payload: number; end: number };

const SAMPLE_NON_SYNC = 0x10000;
const TfhdFlag = {
  BaseDataOffset: 0x01,
  SampleDescriptionIndex: 0x02,
  DefaultDuration: 0x08,
  DefaultSize: 0x10,
  DefaultFlags: 0x20,
  DefaultBaseIsMoof: 0x020000,
} as const;
// TfhdFlag and TrunFlag are alike in shape to server/srt/srt-listener.ts's code tables: different fields' numbers.
const TrunFlag = {
  DataOffset: 0x01,
  FirstSampleFlags: 0x04,
  Duration: 0x100,
  Size: 0x200,
  Flags: 0x400,
  CompositionOffset: 0x800,
} as const;
/** VisualSampleEntry and AudioSampleEntry fields before their child boxes (ISO/IEC 14496-12 §12.1.3, §12.2.3) */
const VISUAL_ENTRY_FIELDS = 78;
const AUDIO_ENTRY_FIELDS = 28;
const MAX_SAMPLES_PER_TRUN = 1 << 20;

function fail(message: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `fMP4: ${message}`);
}

/** `bytes` bytes at `at` end inside `b`, or the box is truncated. */
function inBounds(b: Uint8Array, at: number, bytes: number): void {
  if (at + bytes > b.length) fail('truncated box');
}
const u8 = (b: Uint8Array, at: number): number => {
  inBounds(b, at, 1);
  return b[at]!;
};
const u16 = (b: Uint8Array, at: number): number => {
  inBounds(b, at, 2);
  return readUint16BE(b, at);
};
const u32 = (b: Uint8Array, at: number): number => {
  inBounds(b, at, 4);
  return readUint32BE(b, at);
};
const i32 = (b: Uint8Array, at: number): number => u32(b, at) | 0;
const u64 = (b: Uint8Array, at: number): number => u32(b, at) * 2 ** 32 + u32(b, at + 4);
const fourCc = (b: Uint8Array, at: number): string => String.fromCharCode(u8(b, at), u8(b, at + 1), u8(b, at + 2), u8(b, at + 3));

/** Boxes directly inside [start, end). */
export function boxes(b: Uint8Array, start: number, end: number): Box[] {
  const out: Box[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) fail(`box header truncated at ${at}`);
    let size = u32(b, at);
    const type = fourCc(b, at + 4);
    let header = 8;
    if (size === 1) {
      if (end - at < 16) fail(`box ${type}: largesize truncated`);
      size = u64(b, at + 8);
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) fail(`box ${type} at ${at}: size ${size} runs past ${end}`);
    out.push({ type, start: at, payload: at + header, end: at + size });
    at += size;
  }
  return out;
}

const child = (b: Uint8Array, parent: Box, type: string): Box | undefined =>
  boxes(b, parent.payload, parent.end).find((x) => x.type === type);
const children = (b: Uint8Array, parent: Box, type: string): Box[] =>
  boxes(b, parent.payload, parent.end).filter((x) => x.type === type);
function path(b: Uint8Array, parent: Box, ...types: string[]): Box | undefined {
  let box: Box | undefined = parent;
  for (const type of types) {
    if (!box) return undefined;
    box = child(b, box, type);
  }
  return box;
}

/** ES descriptor length: up to four bytes, 7 bits each (ISO/IEC 14496-1 §8.3.3). */
function descriptor(b: Uint8Array, at: number, end: number): { tag: number; body: number; end: number } {
  const tag = u8(b, at);
  let length = 0;
  let p = at + 1;
  for (let i = 0; i < 4; i++) {
    const byte = u8(b, p++);
    length = (length << 7) | (byte & 0x7f);
    if ((byte & 0x80) === 0) break;
  }
  if (p + length > end) fail(`esds descriptor 0x${tag.toString(16)} runs past its box`);
  return { tag, body: p, end: p + length };
}

/** The AudioSpecificConfig in an esds (ES_Descriptor -> DecoderConfigDescriptor -> DecoderSpecificInfo). */
export function ascFromEsds(b: Uint8Array, esds: Box): Uint8Array {
  const es = descriptor(b, esds.payload + 4, esds.end);
  if (es.tag !== 0x03) fail('esds without an ES_Descriptor');
  const flags = u8(b, es.body + 2);
  let at = es.body + 3;
  if (flags & 0x80) at += 2; // dependsOn_ES_ID
  if (flags & 0x40) at += 1 + u8(b, at); // URL
  if (flags & 0x20) at += 2; // OCR_ES_Id
  while (at < es.end) {
    const d = descriptor(b, at, es.end);
    if (d.tag === 0x04) {
      let inner = d.body + 13;
      while (inner < d.end) {
        const s = descriptor(b, inner, d.end);
        if (s.tag === 0x05) return b.slice(s.body, s.end);
        inner = s.end;
      }
      break;
    }
    at = d.end;
  }
  fail('esds without a DecoderSpecificInfo');
}

function readTrack(b: Uint8Array, trak: Box): Fmp4TrackInfo | undefined {
  const tkhd = child(b, trak, 'tkhd');
  const mdhd = path(b, trak, 'mdia', 'mdhd');
  const hdlr = path(b, trak, 'mdia', 'hdlr');
  const stsd = path(b, trak, 'mdia', 'minf', 'stbl', 'stsd');
  if (!tkhd || !mdhd || !hdlr || !stsd) fail('trak without tkhd, mdhd, hdlr or stsd');
  const trackId = u32(b, tkhd.payload + (u8(b, tkhd.payload) === 1 ? 20 : 12));
  const timescale = u32(b, mdhd.payload + (u8(b, mdhd.payload) === 1 ? 20 : 12));
  if (timescale === 0) fail(`track ${trackId}: timescale 0`);
  const handler = fourCc(b, hdlr.payload + 8);
  if (handler !== 'vide' && handler !== 'soun') return undefined;
  const kind = handler === 'vide' ? 'video' : 'audio';
  const entry = boxes(b, stsd.payload + 8, stsd.end)[0];
  if (!entry) fail(`track ${trackId}: empty stsd`);
  const base = { trackId, kind, timescale, sampleEntry: entry.type } as const;
  const inner = (fields: number, type: string): Box | undefined =>
    boxes(b, entry.payload + fields, entry.end).find((x) => x.type === type);
  /** AVC/HEVC: the configuration record, whose lengthSizeMinusOne (low 2 bits of byte `lengthSizeAt`) sizes the NAL lengths */
  const nalTrack = (configType: 'avcC' | 'hvcC', codec: typeof VideoCodec.H264 | typeof VideoCodec.H265, lengthSizeAt: number): Fmp4TrackInfo => {
    const box = inner(VISUAL_ENTRY_FIELDS, configType);
    if (!box) fail(`track ${trackId}: ${entry.type} without ${configType}`);
    const config = b.slice(box.payload, box.end);
    return { ...base, codec, config, nalLengthSize: (u8(config, lengthSizeAt) & 3) + 1 };
  };
  switch (entry.type) {
    case 'avc1':
    case 'avc3':
      return nalTrack('avcC', VideoCodec.H264, 4);
    case 'hvc1':
    case 'hev1':
      return nalTrack('hvcC', VideoCodec.H265, 21);
    case 'mp4a': {
      // QuickTime sound entry versions 1 and 2 carry 16 and 36 more bytes of fields
      const version = u16(b, entry.payload + 8);
      const fields = AUDIO_ENTRY_FIELDS + (version === 1 ? 16 : version === 2 ? 36 : 0);
      const esds = inner(fields, 'esds');
      if (!esds) fail(`track ${trackId}: mp4a without esds`);
      return { ...base, codec: AudioCodec.AAC, config: ascFromEsds(b, esds), nalLengthSize: 0 };
    }
    default:
      return { ...base, codec: undefined, config: new Uint8Array(0), nalLengthSize: 0 };
  }
}

/** Reads an init segment: the vide and soun tracks of its moov and their trex defaults. */
export function parseFmp4Init(bytes: Uint8Array): Fmp4Init {
  const moov = boxes(bytes, 0, bytes.length).find((x) => x.type === 'moov');
  if (!moov) fail('init segment without moov');
  const tracks: Fmp4TrackInfo[] = [];
  for (const trak of children(bytes, moov, 'trak')) {
    const track = readTrack(bytes, trak);
    if (track) tracks.push(track);
  }
  const defaults = new Map<number, TrackDefaults>();
  const mvex = child(bytes, moov, 'mvex');
  if (mvex) {
    for (const trex of children(bytes, mvex, 'trex')) {
      const p = trex.payload + 4;
      defaults.set(u32(bytes, p), { duration: u32(bytes, p + 8), size: u32(bytes, p + 12), flags: u32(bytes, p + 16) });
    }
  }
  return { tracks, defaults };
}

/**
 * Reads the frames of every moof + mdat in a media segment, in file order. `nextDts` (track_ID -> dts after the last
 * frame read) continues tracks whose traf has no tfdt; it is updated. Samples of tracks not in the init are skipped.
 */
export function parseFmp4Segment(bytes: Uint8Array, init: Fmp4Init, nextDts: Map<number, number> = new Map()): Fmp4Frame[] {
  const known = new Set(init.tracks.map((t) => t.trackId));
  const out: Fmp4Frame[] = [];
  for (const moof of boxes(bytes, 0, bytes.length)) {
    if (moof.type !== 'moof') continue;
    let previousEnd = moof.start;
    for (const traf of children(bytes, moof, 'traf')) {
      const tfhd = child(bytes, traf, 'tfhd');
      if (!tfhd) fail('traf without tfhd');
      const flags = u32(bytes, tfhd.payload) & 0xffffff;
      const trackId = u32(bytes, tfhd.payload + 4);
      const trex = init.defaults.get(trackId);
      let p = tfhd.payload + 8;
      let base = flags & TfhdFlag.DefaultBaseIsMoof ? moof.start : previousEnd;
      if (flags & TfhdFlag.BaseDataOffset) {
        base = u64(bytes, p);
        p += 8;
      }
      if (flags & TfhdFlag.SampleDescriptionIndex) p += 4;
      let defaultDuration = trex?.duration ?? 0;
      let defaultSize = trex?.size ?? 0;
      let defaultFlags = trex?.flags ?? 0;
      if (flags & TfhdFlag.DefaultDuration) (defaultDuration = u32(bytes, p)), (p += 4);
      if (flags & TfhdFlag.DefaultSize) (defaultSize = u32(bytes, p)), (p += 4);
      if (flags & TfhdFlag.DefaultFlags) (defaultFlags = u32(bytes, p)), (p += 4);
      const tfdt = child(bytes, traf, 'tfdt');
      let dts = tfdt
        ? u8(bytes, tfdt.payload) === 1
          ? u64(bytes, tfdt.payload + 4)
          : u32(bytes, tfdt.payload + 4)
        : (nextDts.get(trackId) ?? 0);
      let dataAt = base;
      for (const trun of children(bytes, traf, 'trun')) {
        const version = u8(bytes, trun.payload);
        const tf = u32(bytes, trun.payload) & 0xffffff;
        const count = u32(bytes, trun.payload + 4);
        if (count > MAX_SAMPLES_PER_TRUN) fail(`trun of ${count} samples`);
        let q = trun.payload + 8;
        if (tf & TrunFlag.DataOffset) (dataAt = base + i32(bytes, q)), (q += 4);
        let firstFlags: number | undefined;
        if (tf & TrunFlag.FirstSampleFlags) (firstFlags = u32(bytes, q)), (q += 4);
        for (let i = 0; i < count; i++) {
          let duration = defaultDuration;
          let size = defaultSize;
          let sampleFlags = i === 0 && firstFlags !== undefined ? firstFlags : defaultFlags;
          let offset = 0;
          if (tf & TrunFlag.Duration) (duration = u32(bytes, q)), (q += 4);
          if (tf & TrunFlag.Size) (size = u32(bytes, q)), (q += 4);
          if (tf & TrunFlag.Flags) (sampleFlags = u32(bytes, q)), (q += 4);
          if (tf & TrunFlag.CompositionOffset) (offset = version === 0 ? u32(bytes, q) : i32(bytes, q)), (q += 4);
          if (q > trun.end) fail('trun truncated');
          if (dataAt < 0 || dataAt + size > bytes.length) fail(`track ${trackId}: sample data runs past the segment`);
          if (known.has(trackId)) {
            out.push({
              trackId,
              dts,
              pts: dts + offset,
              keyframe: (sampleFlags & SAMPLE_NON_SYNC) === 0,
              data: bytes.subarray(dataAt, dataAt + size),
            });
          }
          dataAt += size;
          dts += duration;
        }
      }
      previousEnd = dataAt;
      nextDts.set(trackId, dts);
    }
  }
  return out;
}


// Reads just enough of HLS media for the benchmark's latency figure: the video decode timestamps of
// an MPEG-TS segment (ISO/IEC 13818-1 §2.4.3.2 packets, §2.4.3.7 PES PTS/DTS) and of an fMP4 part
// (ISO/IEC 14496-12 §8.8.7 tfhd, §8.8.8 trun, §8.8.12 tfdt), and which track of an init segment is
// video at what timescale (§8.3.2 tkhd, §8.4.2 mdhd, §8.4.3 hdlr). Written independently of the
// engine's muxers so the benchmark does not trust the code it measures.

const TS_PACKET = 188;
const TS_SYNC = 0x47;
const TWO_POW_30 = 2 ** 30;

export type VideoDtsRange = {
  /** video access units (PES packets or trun samples) seen */
  frames: number;
  firstDts: number;
  lastDts: number;
  /** ticks per second of firstDts/lastDts */
  timescale: number;
};

function readPesTimestamp(b: Uint8Array, at: number): number {
  const high3 = (b[at]! >> 1) & 0x07;
  const low30 = ((b[at + 1]! << 22) | ((b[at + 2]! >> 1) << 15) | (b[at + 3]! << 7) | (b[at + 4]! >> 1)) >>> 0;
  return high3 * TWO_POW_30 + low30;
}

/** First and last video DTS (PTS when a PES has no DTS) of an MPEG-TS segment, 90 kHz. */
export function tsVideoDts(segment: Uint8Array): VideoDtsRange | undefined {
  let frames = 0;
  let firstDts = -1;
  let lastDts = -1;
  for (let pos = 0; pos + TS_PACKET <= segment.length; pos += TS_PACKET) {
    if (segment[pos] !== TS_SYNC) throw new Error(`TS: lost sync at byte ${pos}`);
    const payloadUnitStart = (segment[pos + 1]! & 0x40) !== 0;
    if (!payloadUnitStart) continue;
    const adaptation = (segment[pos + 3]! >> 4) & 0x03;
    if ((adaptation & 0x01) === 0) continue; // no payload
    let p = pos + 4;
    if (adaptation & 0x02) p += 1 + segment[pos + 4]!;
    if (p + 14 > pos + TS_PACKET) continue;
    if (segment[p] !== 0 || segment[p + 1] !== 0 || segment[p + 2] !== 1) continue; // PSI, not PES
    const streamId = segment[p + 3]!;
    if (streamId < 0xe0 || streamId > 0xef) continue; // not video
    const ptsDtsFlags = segment[p + 7]! >> 6;
    if (ptsDtsFlags < 2) continue;
    const dts = ptsDtsFlags === 3 ? readPesTimestamp(segment, p + 14) : readPesTimestamp(segment, p + 9);
    if (firstDts < 0) firstDts = dts;
    lastDts = dts;
    frames++;
  }
  return frames === 0 ? undefined : { frames, firstDts, lastDts, timescale: 90_000 };
}

type Box = { type: string; start: number; body: number; end: number };

function* boxes(b: Uint8Array, from: number, to: number): Generator<Box> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = from;
  while (pos + 8 <= to) {
    let size = view.getUint32(pos);
    const type = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
    let body = pos + 8;
    if (size === 1) {
      size = Number(view.getBigUint64(pos + 8));
      body += 8;
    } else if (size === 0) size = to - pos;
    if (size < body - pos || pos + size > to) throw new Error(`MP4: box '${type}' at ${pos} overruns its parent`);
    yield { type, start: pos, body, end: pos + size };
    pos += size;
  }
}

function child(b: Uint8Array, parent: { body: number; end: number }, type: string): Box | undefined {
  for (const box of boxes(b, parent.body, parent.end)) if (box.type === type) return box;
  return undefined;
}

export type Fmp4VideoTrack = { trackId: number; timescale: number };

/** The video track of an fMP4 init segment: its track_ID and media timescale. */
export function fmp4VideoTrack(init: Uint8Array): Fmp4VideoTrack | undefined {
  const view = new DataView(init.buffer, init.byteOffset, init.byteLength);
  const moov = [...boxes(init, 0, init.length)].find((x) => x.type === 'moov');
  if (!moov) return undefined;
  for (const trak of boxes(init, moov.body, moov.end)) {
    if (trak.type !== 'trak') continue;
    const tkhd = child(init, trak, 'tkhd');
    const mdia = child(init, trak, 'mdia');
    if (!tkhd || !mdia) continue;
    const hdlr = child(init, mdia, 'hdlr');
    const mdhd = child(init, mdia, 'mdhd');
    if (!hdlr || !mdhd) continue;
    const handler = String.fromCharCode(...init.subarray(hdlr.body + 8, hdlr.body + 12));
    if (handler !== 'vide') continue;
    const tkhdV1 = init[tkhd.body] === 1;
    const mdhdV1 = init[mdhd.body] === 1;
    return {
      trackId: view.getUint32(tkhd.body + 4 + (tkhdV1 ? 16 : 8)),
      timescale: view.getUint32(mdhd.body + 4 + (mdhdV1 ? 16 : 8)),
    };
  }
  return undefined;
}

const Tfhd = { BaseDataOffset: 0x01, SampleDescriptionIndex: 0x02, DefaultSampleDuration: 0x08 } as const;
const Trun = { DataOffset: 0x01, FirstSampleFlags: 0x04, Duration: 0x100, Size: 0x200, Flags: 0x400, CompositionOffset: 0x800 } as const;

/** First and last video sample DTS of an fMP4 fragment (moof+mdat), in the track's timescale. */
export function fmp4VideoDts(fragment: Uint8Array, video: Fmp4VideoTrack): VideoDtsRange | undefined {
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  let frames = 0;
  let firstDts = -1;
  let lastDts = -1;
  for (const moof of boxes(fragment, 0, fragment.length)) {
    if (moof.type !== 'moof') continue;
    for (const traf of boxes(fragment, moof.body, moof.end)) {
      if (traf.type !== 'traf') continue;
      const tfhd = child(fragment, traf, 'tfhd');
      const tfdt = child(fragment, traf, 'tfdt');
      if (!tfhd || !tfdt) continue;
      const tfhdFlags = view.getUint32(tfhd.body) & 0xffffff;
      if (view.getUint32(tfhd.body + 4) !== video.trackId) continue;
      let at = tfhd.body + 8;
      if (tfhdFlags & Tfhd.BaseDataOffset) at += 8;
      if (tfhdFlags & Tfhd.SampleDescriptionIndex) at += 4;
      const defaultDuration = tfhdFlags & Tfhd.DefaultSampleDuration ? view.getUint32(at) : 0;
      const base = fragment[tfdt.body] === 1 ? Number(view.getBigUint64(tfdt.body + 4)) : view.getUint32(tfdt.body + 4);
      let dts = base;
      for (const trun of boxes(fragment, traf.body, traf.end)) {
        if (trun.type !== 'trun') continue;
        const flags = view.getUint32(trun.body) & 0xffffff;
        const count = view.getUint32(trun.body + 4);
        let p = trun.body + 8;
        if (flags & Trun.DataOffset) p += 4;
        if (flags & Trun.FirstSampleFlags) p += 4;
        for (let i = 0; i < count; i++) {
          let duration = defaultDuration;
          if (flags & Trun.Duration) {
            duration = view.getUint32(p);
            p += 4;
          }
          if (flags & Trun.Size) p += 4;
          if (flags & Trun.Flags) p += 4;
          if (flags & Trun.CompositionOffset) p += 4;
          if (firstDts < 0) firstDts = dts;
          lastDts = dts;
          frames++;
          dts += duration;
        }
      }
    }
  }
  return frames === 0 ? undefined : { frames, firstDts, lastDts, timescale: video.timescale };
}

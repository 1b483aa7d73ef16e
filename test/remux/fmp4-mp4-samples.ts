// Test helper: a small ISO BMFF box walker, and the samples of a plain (non-fragmented) MP4 track from its
// sample tables (ISO/IEC 14496-12 §8.6-§8.7), to feed muxer tests with codec configs and samples made by ffmpeg.

export type Box = { type: string; start: number; size: number; headerBytes: number; payloadStart: number; end: number };

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'dinf', 'edts']);
/** Sample entries: 8-byte box header, then 78 (visual) or 28 (audio) bytes of fields before child boxes. */
const SAMPLE_ENTRY_FIELDS: Record<string, number> = { avc1: 78, hvc1: 78, hev1: 78, mp4a: 28 };

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function i32(b: Uint8Array, at: number): number {
  return b[at]! << 24 | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

export const read = { u32, i32, u16: (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]! };

/** Boxes directly inside [start, end); throws if a size runs past the end or is too small. */
export function childBoxes(bytes: Uint8Array, start = 0, end = bytes.length): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) throw new Error(`box header truncated at ${at}`);
    let size = u32(bytes, at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    let headerBytes = 8;
    if (size === 1) {
      size = u32(bytes, at + 8) * 2 ** 32 + u32(bytes, at + 12);
      headerBytes = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < headerBytes || at + size > end) throw new Error(`box ${type} at ${at}: size ${size} past ${end}`);
    boxes.push({ type, start: at, size, headerBytes, payloadStart: at + headerBytes, end: at + size });
    at += size;
  }
  return boxes;
}

/** Every box in the tree (containers, stsd entries and sample entries descended), depth-first, with its path. */
export function walkBoxes(bytes: Uint8Array, start = 0, end = bytes.length, path = ''): (Box & { path: string })[] {
  const out: (Box & { path: string })[] = [];
  for (const box of childBoxes(bytes, start, end)) {
    const boxPath = path === '' ? box.type : `${path}/${box.type}`;
    out.push({ ...box, path: boxPath });
    let childStart: number | undefined;
    if (CONTAINERS.has(box.type)) childStart = box.payloadStart;
    else if (box.type === 'stsd') childStart = box.payloadStart + 8; // version/flags, entry_count
    else if (SAMPLE_ENTRY_FIELDS[box.type] !== undefined) childStart = box.payloadStart + SAMPLE_ENTRY_FIELDS[box.type]!;
    if (childStart !== undefined) out.push(...walkBoxes(bytes, childStart, box.end, boxPath));
  }
  return out;
}

/** The first box at `path` (e.g. "moov/trak/mdia/mdhd"); throws when absent. */
export function findBox(bytes: Uint8Array, path: string, start = 0, end = bytes.length): Box {
  const box = walkBoxes(bytes, start, end).find((b) => (b as Box & { path: string }).path === path);
  if (box === undefined) throw new Error(`no box ${path}`);
  return box;
}

export function payload(bytes: Uint8Array, box: Box): Uint8Array {
  return bytes.subarray(box.payloadStart, box.end);
}

export type Mp4Sample = { dts: number; pts: number; keyframe: boolean; data: Uint8Array };
export type Mp4TrackSamples = { timescale: number; format: string; config: Uint8Array; samples: Mp4Sample[] };

/** Reads the first track of a plain MP4: timescale, sample entry config box (avcC/hvcC) and samples. */
export function readMp4Track(file: Uint8Array): Mp4TrackSamples {
  const boxes = walkBoxes(file);
  const get = (path: string) => {
    const box = boxes.find((b) => b.path === path);
    return box === undefined ? undefined : payload(file, box);
  };
  const need = (path: string) => {
    const p = get(path);
    if (p === undefined) throw new Error(`no box ${path}`);
    return p;
  };
  const stbl = 'moov/trak/mdia/minf/stbl';
  const mdhd = need('moov/trak/mdia/mdhd');
  const timescale = u32(mdhd, mdhd[0] === 1 ? 20 : 12);
  const entry = boxes.find((b) => b.path.startsWith(`${stbl}/stsd/`) && b.path.split('/').length === 7)!;
  const configBox = boxes.find((b) => b.path.startsWith(`${entry.path}/`) && ['avcC', 'hvcC'].includes(b.type));
  const config = configBox === undefined ? new Uint8Array(0) : payload(file, configBox).slice();

  const stsz = need(`${stbl}/stsz`);
  const count = u32(stsz, 8);
  const fixedSize = u32(stsz, 4);
  const sizes = Array.from({ length: count }, (_, i) => (fixedSize !== 0 ? fixedSize : u32(stsz, 12 + 4 * i)));

  const stco = need(`${stbl}/stco`);
  const chunkOffsets = Array.from({ length: u32(stco, 4) }, (_, i) => u32(stco, 8 + 4 * i));
  const stsc = need(`${stbl}/stsc`);
  const stscEntries = Array.from({ length: u32(stsc, 4) }, (_, i) => ({
    firstChunk: u32(stsc, 8 + 12 * i),
    samplesPerChunk: u32(stsc, 12 + 12 * i),
  }));
  const offsets: number[] = [];
  for (let chunk = 1; chunk <= chunkOffsets.length; chunk++) {
    const rule = stscEntries.filter((e) => e.firstChunk <= chunk).at(-1)!;
    let at = chunkOffsets[chunk - 1]!;
    for (let i = 0; i < rule.samplesPerChunk; i++) {
      offsets.push(at);
      at += sizes[offsets.length - 1]!;
    }
  }

  const stts = need(`${stbl}/stts`);
  const dts: number[] = [];
  let t = 0;
  for (let e = 0; e < u32(stts, 4); e++) {
    for (let i = 0; i < u32(stts, 8 + 8 * e); i++) {
      dts.push(t);
      t += u32(stts, 12 + 8 * e);
    }
  }
  const ctts = get(`${stbl}/ctts`);
  const cto: number[] = [];
  if (ctts !== undefined) {
    for (let e = 0; e < u32(ctts, 4); e++) {
      for (let i = 0; i < u32(ctts, 8 + 8 * e); i++) cto.push(ctts[0] === 1 ? i32(ctts, 12 + 8 * e) : u32(ctts, 12 + 8 * e));
    }
  }
  const stss = get(`${stbl}/stss`);
  const sync = stss === undefined ? undefined : new Set(Array.from({ length: u32(stss, 4) }, (_, i) => u32(stss, 8 + 4 * i)));

  const samples = sizes.map((size, i) => ({
    dts: dts[i]!,
    pts: dts[i]! + (cto[i] ?? 0),
    keyframe: sync === undefined || sync.has(i + 1),
    data: file.subarray(offsets[i]!, offsets[i]! + size),
  }));
  return { timescale, format: entry.type, config, samples };
}

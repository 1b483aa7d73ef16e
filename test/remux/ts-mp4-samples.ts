// Test helper: a tiny ISO BMFF (ISO/IEC 14496-12) walker that pulls the first video track's decoder config
// (avcC/hvcC) and samples (stts, ctts, stsz, stsc, stco/co64, stss) out of a non-fragmented .mp4.

export type Mp4Sample = { dts: number; pts: number; keyframe: boolean; data: Uint8Array };
export type Mp4VideoTrack = { format: string; timescale: number; config: Uint8Array; samples: Mp4Sample[] };

type Box = { type: string; body: Uint8Array };

/** SampleEntry (8) + VisualSampleEntry (70) fields before a visual sample entry's child boxes */
const VISUAL_SAMPLE_ENTRY_FIELDS_BYTES = 78;
const FULL_BOX_HEADER_BYTES = 4;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function fourCc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

function children(bytes: Uint8Array): Box[] {
  const boxes: Box[] = [];
  const dv = view(bytes);
  let at = 0;
  while (at + 8 <= bytes.length) {
    let size = dv.getUint32(at);
    const type = fourCc(bytes, at + 4);
    let header = 8;
    if (size === 1) {
      size = Number(dv.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = bytes.length - at;
    }
    if (size < header || at + size > bytes.length) throw new Error(`mp4: bad ${type} box size ${size}`);
    boxes.push({ type, body: bytes.subarray(at + header, at + size) });
    at += size;
  }
  return boxes;
}

function find(bytes: Uint8Array, path: string[]): Uint8Array | undefined {
  let current: Uint8Array | undefined = bytes;
  for (const type of path) {
    if (current === undefined) return undefined;
    current = children(current).find((b) => b.type === type)?.body;
  }
  return current;
}

/** entries of a full box whose body is entry_count then fixed-size records of 32-bit fields */
function table(body: Uint8Array | undefined, fields: number, skip = 0): number[][] {
  if (body === undefined) return [];
  const dv = view(body);
  const at = FULL_BOX_HEADER_BYTES + skip;
  const count = dv.getUint32(at);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const row: number[] = [];
    for (let f = 0; f < fields; f++) row.push(dv.getUint32(at + 4 + (i * fields + f) * 4));
    rows.push(row);
  }
  return rows;
}

export function readMp4VideoTrack(file: Uint8Array): Mp4VideoTrack {
  const moov = find(file, ['moov']);
  if (moov === undefined) throw new Error('mp4: no moov');
  for (const trak of children(moov).filter((b) => b.type === 'trak')) {
    const mdia = find(trak.body, ['mdia'])!;
    const stbl = find(mdia, ['minf', 'stbl']);
    const stsd = stbl && find(stbl, ['stsd']);
    if (stbl === undefined || stsd === undefined) continue;
    const entry = children(stsd.subarray(FULL_BOX_HEADER_BYTES + 4))[0];
    if (entry === undefined || !['avc1', 'avc3', 'hvc1', 'hev1'].includes(entry.type)) continue;
    const configType = entry.type.startsWith('avc') ? 'avcC' : 'hvcC';
    const config = children(entry.body.subarray(VISUAL_SAMPLE_ENTRY_FIELDS_BYTES)).find((b) => b.type === configType);
    if (config === undefined) throw new Error(`mp4: no ${configType}`);

    const mdhd = find(mdia, ['mdhd'])!;
    const timescale = view(mdhd).getUint32(mdhd[0] === 1 ? 20 : 12);
    const deltas = table(find(stbl, ['stts']), 2).flatMap(([count, delta]) => Array<number>(count!).fill(delta!));
    const ctts = find(stbl, ['ctts']);
    const signedOffsets = ctts !== undefined && ctts[0] === 1;
    const offsets = table(ctts, 2).flatMap(([count, offset]) =>
      Array<number>(count!).fill(signedOffsets ? offset! | 0 : offset!),
    );
    const stsz = find(stbl, ['stsz'])!;
    const fixedSize = view(stsz).getUint32(FULL_BOX_HEADER_BYTES);
    const sizes = fixedSize !== 0 ? Array<number>(view(stsz).getUint32(8)).fill(fixedSize) : table(stsz, 1, 4).map((r) => r[0]!);
    const stco = find(stbl, ['stco']);
    const co64 = find(stbl, ['co64']);
    const chunkOffsets =
      stco !== undefined
        ? table(stco, 1).map((r) => r[0]!)
        : table(co64, 2).map(([hi, lo]) => hi! * 2 ** 32 + lo!);
    const stsc = table(find(stbl, ['stsc']), 3);
    const stssBox = find(stbl, ['stss']);
    const sync = stssBox === undefined ? undefined : new Set(table(stssBox, 1).map((r) => r[0]!));

    const samples: Mp4Sample[] = [];
    let dts = 0;
    let sampleIndex = 0;
    for (let chunk = 0; chunk < chunkOffsets.length; chunk++) {
      const run = stsc.filter((r) => r[0]! <= chunk + 1).at(-1);
      let at = chunkOffsets[chunk]!;
      for (let i = 0; i < (run?.[1] ?? 0) && sampleIndex < sizes.length; i++) {
        const size = sizes[sampleIndex]!;
        samples.push({
          dts,
          pts: dts + (offsets[sampleIndex] ?? 0),
          keyframe: sync === undefined || sync.has(sampleIndex + 1),
          data: file.subarray(at, at + size),
        });
        dts += deltas[sampleIndex] ?? 0;
        at += size;
        sampleIndex++;
      }
    }
    return { format: entry.type, timescale, config: config.body, samples };
  }
  throw new Error('mp4: no AVC/HEVC video track');
}

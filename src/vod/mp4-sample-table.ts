// The samples of one track of a plain (non-fragmented) MP4 from its sample table box (ISO/IEC 14496-12
// §8.6.1.2 stts, §8.6.1.3 ctts, §8.6.2 stss, §8.7.3 stsz, §8.7.4 stsc, §8.7.5 stco/co64): where each
// sample is in the file, its size, decode time, composition offset and whether it is a sync sample.
// Every count is checked against its box and the others before anything is allocated.
import { ProtocolErrorCode } from '../shared/protocol-error.ts';
import { type Box, childOf, i32, mp4Fail, u32, u64, u8 } from './mp4-box.ts';

// Alike in shape (constants, then a Readonly type) to recorder/vod-library.ts, server/webrtc/whip-publisher.ts and
// control/services/login-rate-limiter.ts: declarations only.
/** More samples than this in one track (37 hours of 60 fps video, 48 hours of 48 kHz AAC) is refused rather than allocated. */
export const MAX_SAMPLES_PER_TRACK = 8_000_000;
const FULL_BOX_FIELDS = 4;

export type SampleTable = Readonly<{
  count: number;
  /** byte offset of each sample in the file */
  offsets: Float64Array;
  sizes: Uint32Array;
  /** decode time in the track's timescale */
  dts: Float64Array;
  /** composition offset (pts - dts) in the track's timescale */
  ctsOffsets: Int32Array;
  /** 1 for a sync sample (random access point) */
  sync: Uint8Array;
  /** decode time just after the last sample */
  endDts: number;
}>;

function need(stbl: Uint8Array, parent: Box, type: string): Box {
  const box = childOf(stbl, parent, type);
  if (!box) mp4Fail(`stbl without ${type}`);
  return box;
}

/** Checks that `count` entries of `entryBytes` each fit in `box` after `headerBytes`. */
function checkEntries(box: Box, headerBytes: number, count: number, entryBytes: number): void {
  if (count * entryBytes > box.end - box.payload - headerBytes) {
    mp4Fail(`${box.type}: ${count} entries do not fit in ${box.end - box.payload} bytes`, ProtocolErrorCode.Truncated);
  }
}

/**
 * Reads the sample table `stbl` (a box of `b`). `fileSize` bounds where samples may be. A track
 * with no samples (an fMP4 init's empty tables) gives count 0.
 */
export function parseSampleTable(b: Uint8Array, stbl: Box, fileSize: number): SampleTable {
  const stsz = childOf(b, stbl, 'stsz');
  if (!stsz) {
    if (childOf(b, stbl, 'stz2')) mp4Fail('compact sample sizes (stz2) are not supported', ProtocolErrorCode.Unsupported);
    mp4Fail('stbl without stsz');
  }
  const uniformSize = u32(b, stsz.payload + FULL_BOX_FIELDS);
  const count = u32(b, stsz.payload + FULL_BOX_FIELDS + 4);
  if (count > MAX_SAMPLES_PER_TRACK) mp4Fail(`${count} samples in one track`, ProtocolErrorCode.TooLarge);
  if (uniformSize === 0) checkEntries(stsz, FULL_BOX_FIELDS + 8, count, 4);
  else if (count * uniformSize > fileSize) mp4Fail(`${count} samples of ${uniformSize} bytes do not fit in the file`, ProtocolErrorCode.Truncated);

  const stts = need(b, stbl, 'stts');
  const sttsEntries = u32(b, stts.payload + FULL_BOX_FIELDS);
  checkEntries(stts, FULL_BOX_FIELDS + 4, sttsEntries, 8);
  let sttsTotal = 0;
  for (let i = 0; i < sttsEntries; i++) sttsTotal += u32(b, stts.payload + FULL_BOX_FIELDS + 4 + i * 8);
  if (sttsTotal !== count) mp4Fail(`stts covers ${sttsTotal} samples, stsz has ${count}`);

  const sizes = new Uint32Array(count);
  const dts = new Float64Array(count);
  const ctsOffsets = new Int32Array(count);
  const sync = new Uint8Array(count);
  const offsets = new Float64Array(count);

  for (let i = 0; i < count; i++) sizes[i] = uniformSize !== 0 ? uniformSize : u32(b, stsz.payload + FULL_BOX_FIELDS + 8 + i * 4);

  let n = 0;
  let time = 0;
  for (let e = 0; e < sttsEntries; e++) {
    const at = stts.payload + FULL_BOX_FIELDS + 4 + e * 8;
    const samples = u32(b, at);
    const delta = u32(b, at + 4);
    for (let k = 0; k < samples; k++) {
      dts[n++] = time;
      time += delta;
    }
  }
  if (!Number.isSafeInteger(time)) mp4Fail('stts: decode times overflow', ProtocolErrorCode.TooLarge);

  const ctts = childOf(b, stbl, 'ctts');
  if (ctts) {
    const entries = u32(b, ctts.payload + FULL_BOX_FIELDS);
    checkEntries(ctts, FULL_BOX_FIELDS + 4, entries, 8);
    let at = 0;
    for (let e = 0; e < entries; e++) {
      const p = ctts.payload + FULL_BOX_FIELDS + 4 + e * 8;
      const samples = u32(b, p);
      // version 0 declares the offset unsigned; writers put negative ones there too, so both read signed
      const offset = i32(b, p + 4);
      if (samples > count - at) mp4Fail(`ctts covers more than the ${count} samples`);
      ctsOffsets.fill(offset, at, at + samples);
      at += samples;
    }
  }

  const stss = childOf(b, stbl, 'stss');
  if (stss) {
    const entries = u32(b, stss.payload + FULL_BOX_FIELDS);
    checkEntries(stss, FULL_BOX_FIELDS + 4, entries, 4);
    for (let e = 0; e < entries; e++) {
      const number = u32(b, stss.payload + FULL_BOX_FIELDS + 4 + e * 4);
      if (number < 1 || number > count) mp4Fail(`stss: sample ${number} of ${count}`);
      sync[number - 1] = 1;
    }
  } else {
    sync.fill(1); // no stss: every sample is a sync sample (§8.6.2.1)
  }

  readChunkOffsets(b, stbl, sizes, offsets, fileSize);
  return { count, offsets, sizes, dts, ctsOffsets, sync, endDts: time };
}

/** Places every sample in the file: stsc maps samples to chunks, stco/co64 gives each chunk's offset. */
function readChunkOffsets(b: Uint8Array, stbl: Box, sizes: Uint32Array, offsets: Float64Array, fileSize: number): void {
  const count = sizes.length;
  const stsc = need(b, stbl, 'stsc');
  const stco = childOf(b, stbl, 'stco');
  const co64 = childOf(b, stbl, 'co64');
  const chunkBox = stco ?? co64;
  if (!chunkBox) mp4Fail('stbl without stco or co64');
  const wide = chunkBox === co64 && !stco;
  const chunkCount = u32(b, chunkBox.payload + FULL_BOX_FIELDS);
  checkEntries(chunkBox, FULL_BOX_FIELDS + 4, chunkCount, wide ? 8 : 4);
  const chunkOffset = (index: number): number => {
    const at = chunkBox.payload + FULL_BOX_FIELDS + 4 + index * (wide ? 8 : 4);
    return wide ? u64(b, at) : u32(b, at);
  };
  const entries = u32(b, stsc.payload + FULL_BOX_FIELDS);
  checkEntries(stsc, FULL_BOX_FIELDS + 4, entries, 12);
  if (count > 0 && entries === 0) mp4Fail('stsc is empty but the track has samples');
  let sample = 0;
  for (let e = 0; e < entries && sample < count; e++) {
    const at = stsc.payload + FULL_BOX_FIELDS + 4 + e * 12;
    const firstChunk = u32(b, at);
    const perChunk = u32(b, at + 4);
    const nextFirst = e + 1 < entries ? u32(b, at + 12) : chunkCount + 1;
    if (firstChunk < 1 || nextFirst <= firstChunk || nextFirst > chunkCount + 1) mp4Fail(`stsc entry ${e}: chunks ${firstChunk} to ${nextFirst - 1} of ${chunkCount}`);
    if (perChunk === 0) mp4Fail(`stsc entry ${e}: no samples per chunk`);
    for (let chunk = firstChunk; chunk < nextFirst && sample < count; chunk++) {
      let at = chunkOffset(chunk - 1);
      for (let k = 0; k < perChunk && sample < count; k++) {
        if (at + sizes[sample]! > fileSize) mp4Fail(`sample ${sample + 1} (${sizes[sample]} bytes at ${at}) runs past the end of the file`, ProtocolErrorCode.Truncated);
        offsets[sample] = at;
        at += sizes[sample]!;
        sample++;
      }
    }
  }
  if (sample < count) mp4Fail(`stsc/stco place ${sample} of ${count} samples`);
}

/** Whether a full box's version byte says 64-bit times (mdhd, tkhd, mvhd). */
export const isVersion1 = (b: Uint8Array, box: Box): boolean => u8(b, box.payload) === 1;

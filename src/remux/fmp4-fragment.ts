// One movie fragment: moof (mfhd, per track traf with tfhd default-base-is-moof, tfdt v1, trun v1) then one mdat
// (ISO/IEC 14496-12 §8.8.4-§8.8.8, §8.8.12 tfdt, §8.1.1 mdat; CMAF 23000-19 §7.3.2.3). Sizes first, one buffer.
import type { MediaFrame } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { BoxType, SampleFlags, TfhdFlags, TrunFlags } from './mp4-box-types.ts';
import { BOX_HEADER_BYTES, FULL_BOX_HEADER_BYTES, Mp4Writer, UINT32_MAX } from './mp4-writer.ts';

/** The frames of one track in one fragment, in decode order. */
export type FragmentRun = {
  /** the Track.id, for messages */
  trackId: number;
  mp4TrackId: number;
  /** every sample is a sync sample (audio) whatever its keyframe flag */
  allSync: boolean;
  frames: readonly MediaFrame[];
  endDts: number;
};

export const MFHD_BYTES = FULL_BOX_HEADER_BYTES + 4;
/** track_ID only: default-base-is-moof and no optional fields */
export const TFHD_BYTES = FULL_BOX_HEADER_BYTES + 4;
/** version 1: 64-bit baseMediaDecodeTime */
export const TFDT_BYTES = FULL_BOX_HEADER_BYTES + 8;
/** sample_count, data_offset */
const TRUN_FIXED_BYTES = FULL_BOX_HEADER_BYTES + 8;
/** sample_duration, sample_size, sample_flags */
const SAMPLE_BASE_BYTES = 12;
const COMPOSITION_OFFSET_BYTES = 4;
const TRUN_BASE_FLAGS =
  TrunFlags.DataOffsetPresent | TrunFlags.SampleDurationPresent | TrunFlags.SampleSizePresent | TrunFlags.SampleFlagsPresent;
const TRUN_VERSION_SIGNED_OFFSETS = 1;
const TFDT_VERSION_64_BIT = 1;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

type RunLayout = { run: FragmentRun; withOffsets: boolean; payloadBytes: number };

function fail(run: FragmentRun, message: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `fMP4 fragment, track ${run.trackId}: ${message}`);
}

/** Validates one run's timestamps and measures its samples; throws before anything is allocated. */
function layoutRun(run: FragmentRun): RunLayout {
  const { frames } = run;
  let withOffsets = false;
  let payloadBytes = 0;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (frame.trackId !== run.trackId) fail(run, `frame of track ${frame.trackId}`);
    const next = i + 1 < frames.length ? frames[i + 1]!.dts : run.endDts;
    if (!Number.isSafeInteger(frame.dts) || !Number.isSafeInteger(next)) fail(run, `dts ${frame.dts} is not an integer`);
    if (i === 0 && frame.dts < 0) fail(run, `negative dts ${frame.dts}`);
    const duration = next - frame.dts;
    if (duration < 0 || duration > UINT32_MAX) fail(run, `dts ${frame.dts} then ${next}`);
    const offset = frame.pts - frame.dts;
    if (!Number.isInteger(offset) || offset < INT32_MIN || offset > INT32_MAX) fail(run, `pts ${frame.pts} dts ${frame.dts}`);
    if (offset !== 0) withOffsets = true;
    payloadBytes += frame.data.length;
  }
  return { run, withOffsets, payloadBytes };
}

function sampleBytes(layout: RunLayout): number {
  return SAMPLE_BASE_BYTES + (layout.withOffsets ? COMPOSITION_OFFSET_BYTES : 0);
}

function trunBytes(layout: RunLayout): number {
  return TRUN_FIXED_BYTES + layout.run.frames.length * sampleBytes(layout);
}

function trafBytes(layout: RunLayout): number {
  return BOX_HEADER_BYTES + TFHD_BYTES + TFDT_BYTES + trunBytes(layout);
}

/**
 * moof + mdat for the runs that hold frames, trafs and samples in the given order. Composition offsets are
 * written only for runs where some pts differs from its dts.
 */
export function writeFragment(sequenceNumber: number, runs: readonly FragmentRun[]): Uint8Array {
  if (!Number.isInteger(sequenceNumber) || sequenceNumber < 0 || sequenceNumber > UINT32_MAX) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `fMP4 fragment: sequence number ${sequenceNumber}`);
  }
  const layouts: RunLayout[] = [];
  let moofBytes = BOX_HEADER_BYTES + MFHD_BYTES;
  let payloadBytes = 0;
  for (const run of runs) {
    if (run.frames.length === 0) continue;
    const layout = layoutRun(run);
    layouts.push(layout);
    moofBytes += trafBytes(layout);
    payloadBytes += layout.payloadBytes;
  }
  const mdatBytes = BOX_HEADER_BYTES + payloadBytes;
  // trun data_offset is a signed 32-bit field: keep the whole fragment within its range.
  if (moofBytes + mdatBytes > INT32_MAX) {
    throw new ProtocolError(ProtocolErrorCode.TooLarge, `fMP4 fragment of ${moofBytes + mdatBytes} bytes`);
  }

  const out = new Uint8Array(moofBytes + mdatBytes);
  const w = new Mp4Writer(out);
  w.boxHeader(moofBytes, BoxType.Moof);
  w.fullBoxHeader(MFHD_BYTES, BoxType.Mfhd, 0, 0);
  w.u32(sequenceNumber);
  // data_offset is relative to the first byte of the moof (default-base-is-moof).
  let dataOffset = moofBytes + BOX_HEADER_BYTES;
  for (const layout of layouts) {
    writeTraf(w, layout, dataOffset);
    dataOffset += layout.payloadBytes;
  }
  w.boxHeader(mdatBytes, BoxType.Mdat);
  for (const { run } of layouts) {
    for (const frame of run.frames) w.bytes(frame.data);
  }
  return out;
}

function writeTraf(w: Mp4Writer, layout: RunLayout, dataOffset: number): void {
  const { run, withOffsets } = layout;
  const { frames } = run;
  w.boxHeader(trafBytes(layout), BoxType.Traf);
  w.fullBoxHeader(TFHD_BYTES, BoxType.Tfhd, 0, TfhdFlags.DefaultBaseIsMoof);
  w.u32(run.mp4TrackId);
  w.fullBoxHeader(TFDT_BYTES, BoxType.Tfdt, TFDT_VERSION_64_BIT, 0);
  w.u64(frames[0]!.dts);
  const flags = TRUN_BASE_FLAGS | (withOffsets ? TrunFlags.SampleCompositionTimeOffsetsPresent : 0);
  w.fullBoxHeader(trunBytes(layout), BoxType.Trun, TRUN_VERSION_SIGNED_OFFSETS, flags);
  w.u32(frames.length);
  w.i32(dataOffset);
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    const next = i + 1 < frames.length ? frames[i + 1]!.dts : run.endDts;
    w.u32(next - frame.dts);
    w.u32(frame.data.length);
    w.u32(run.allSync || frame.keyframe ? SampleFlags.Sync : SampleFlags.NonSync);
    if (withOffsets) w.i32(frame.pts - frame.dts);
  }
}

// The head of a progressive (non-fragmented) fast-start MP4: ftyp, then moov with full sample
// tables (stts, ctts, stss, stsc, stsz, stco or co64: ISO/IEC 14496-12 §8.6.1.2, §8.6.1.3, §8.6.2,
// §8.7.3-§8.7.5), then the mdat header; the caller writes the sample bytes after it, chunk by chunk
// in the order given. Chunk offsets depend on the moov's own size, so the moov is measured first
// (its size does not depend on the offset values) and then written. Pure.
import { describeAudioEntry } from './fmp4-audio-entry.ts';
import { type Fmp4Track, MOVIE_TIMESCALE, writeMvhd, writeTrak } from './fmp4-init.ts';
import { describeVideoEntry } from './fmp4-video-entry.ts';
import type { Track } from '../media/types.ts';
import { BoxType } from './mp4-box-types.ts';
import { BOX_HEADER_BYTES, type Mp4Writer, UINT32_MAX, writeMeasured } from './mp4-writer.ts';

export type ProgressiveTrack = Readonly<{
  track: Track;
  /** per sample, in decode order, in the track's timescale */
  durations: readonly number[];
  /** pts - dts per sample */
  compositionOffsets: readonly number[];
  sizes: readonly number[];
  keyframes: readonly boolean[];
}>;

/** A run of consecutive samples of one track, stored together in the mdat. */
export type ProgressiveChunk = Readonly<{ trackIndex: number; samples: number }>;

export type ProgressiveHeader = Readonly<{ bytes: Uint8Array; mdatPayloadBytes: number }>;

const BRANDS = ['isom', 'iso2', 'avc1', 'mp41'] as const;
const LARGE_BOX_HEADER_BYTES = 16;
const LARGE_SIZE = 1;

/**
 * ftyp + moov + mdat header for these tracks, whose samples the mdat holds chunk after chunk
 * (each chunk's samples continue its track where its previous chunk ended).
 */
export function writeProgressiveHeader(tracks: readonly ProgressiveTrack[], chunks: readonly ProgressiveChunk[]): ProgressiveHeader {
  const fmp4Tracks: Fmp4Track[] = tracks.map((t, i) => ({
    mp4TrackId: i + 1,
    timescale: t.track.timescale,
    entry: t.track.kind === 'video' ? describeVideoEntry(t.track) : describeAudioEntry(t.track),
  }));
  // where each chunk starts in the mdat payload, and which chunks belong to which track
  const chunkStarts: number[][] = tracks.map(() => []);
  const chunkSamples: number[][] = tracks.map(() => []);
  const consumed = tracks.map(() => 0);
  let payload = 0;
  for (const chunk of chunks) {
    const t = tracks[chunk.trackIndex]!;
    const first = consumed[chunk.trackIndex]!;
    chunkStarts[chunk.trackIndex]!.push(payload);
    chunkSamples[chunk.trackIndex]!.push(chunk.samples);
    for (let i = first; i < first + chunk.samples; i++) payload += t.sizes[i]!;
    consumed[chunk.trackIndex] = first + chunk.samples;
  }
  tracks.forEach((t, i) => {
    if (consumed[i] !== t.sizes.length) throw new RangeError(`track ${i}: chunks hold ${consumed[i]} of ${t.sizes.length} samples`);
  });
  const ftyp = writeMeasured(writeFtyp);
  const mdatHeader = payload + BOX_HEADER_BYTES > UINT32_MAX ? LARGE_BOX_HEADER_BYTES : BOX_HEADER_BYTES;
  const co64 = ftyp.length + payload + mdatHeader + moovUpperBound(tracks, chunks.length) > UINT32_MAX;
  const moov = (base: number) => writeMeasured((w) => writeMoov(w, tracks, fmp4Tracks, chunkStarts.map((s) => s.map((o) => o + base)), chunkSamples, co64));
  const moovBytes = moov(0).length;
  const base = ftyp.length + moovBytes + mdatHeader;
  const head = new Uint8Array(base);
  head.set(ftyp, 0);
  head.set(moov(base), ftyp.length);
  const view = new DataView(head.buffer);
  const at = ftyp.length + moovBytes;
  if (mdatHeader === BOX_HEADER_BYTES) {
    view.setUint32(at, BOX_HEADER_BYTES + payload);
    writeType(head, at + 4, BoxType.Mdat);
  } else {
    view.setUint32(at, LARGE_SIZE);
    writeType(head, at + 4, BoxType.Mdat);
    view.setBigUint64(at + 8, BigInt(LARGE_BOX_HEADER_BYTES + payload));
  }
  return { bytes: head, mdatPayloadBytes: payload };
}

/** A generous bound on the moov's size, only to choose between 32- and 64-bit chunk offsets. */
function moovUpperBound(tracks: readonly ProgressiveTrack[], chunks: number): number {
  let samples = 0;
  for (const t of tracks) samples += t.sizes.length;
  return 4096 * (tracks.length + 1) + samples * 28 + chunks * 20;
}

function writeType(out: Uint8Array, at: number, type: string): void {
  for (let i = 0; i < 4; i++) out[at + i] = type.charCodeAt(i);
}

function writeFtyp(w: Mp4Writer): void {
  w.box(BoxType.Ftyp, () => {
    w.fourCc(BRANDS[0]);
    w.u32(512); // minor_version, as ISO base media files usually carry
    for (const brand of BRANDS) w.fourCc(brand);
  });
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function writeMoov(
  w: Mp4Writer,
  tracks: readonly ProgressiveTrack[],
  fmp4Tracks: readonly Fmp4Track[],
  chunkOffsets: readonly (readonly number[])[],
  chunkSamples: readonly (readonly number[])[],
  co64: boolean,
): void {
  const movieTicks = tracks.map((t) => Math.round((sum(t.durations) * MOVIE_TIMESCALE) / t.track.timescale));
  w.box(BoxType.Moov, () => {
    writeMvhd(w, fmp4Tracks, Math.max(0, ...movieTicks));
    tracks.forEach((t, i) => {
      writeTrak(w, fmp4Tracks[i]!, { movieTicks: movieTicks[i]!, mediaTicks: sum(t.durations) }, () => writeTables(w, t, chunkOffsets[i]!, chunkSamples[i]!, co64));
    });
  });
}

/** Run-length pairs (count, value) of a sequence. */
function runs(values: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const v of values) {
    const last = out.at(-1);
    if (last && last[1] === v) last[0]++;
    else out.push([1, v]);
  }
  return out;
}

function writeTables(w: Mp4Writer, t: ProgressiveTrack, chunkOffsets: readonly number[], chunkSamples: readonly number[], co64: boolean): void {
  const stts = runs(t.durations);
  w.fullBox(BoxType.Stts, 0, 0, () => {
    w.u32(stts.length);
    for (const [count, delta] of stts) {
      w.u32(count);
      w.u32(delta);
    }
  });
  if (t.compositionOffsets.some((o) => o !== 0)) {
    const negative = t.compositionOffsets.some((o) => o < 0);
    const ctts = runs(t.compositionOffsets);
    // version 1: signed offsets (§8.6.1.3), needed only when a sample is shown before it is decoded
    w.fullBox(BoxType.Ctts, negative ? 1 : 0, 0, () => {
      w.u32(ctts.length);
      for (const [count, offset] of ctts) {
        w.u32(count);
        if (negative) w.i32(offset);
        else w.u32(offset);
      }
    });
  }
  if (t.keyframes.some((k) => !k)) {
    const sync = t.keyframes.flatMap((k, i) => (k ? [i + 1] : []));
    w.fullBox(BoxType.Stss, 0, 0, () => {
      w.u32(sync.length);
      for (const n of sync) w.u32(n);
    });
  }
  // stsc: first_chunk (1-based), samples_per_chunk, sample_description_index, where the count changes
  const stsc: Array<[number, number]> = [];
  chunkSamples.forEach((n, i) => {
    if (stsc.at(-1)?.[1] !== n) stsc.push([i + 1, n]);
  });
  w.fullBox(BoxType.Stsc, 0, 0, () => {
    w.u32(stsc.length);
    for (const [firstChunk, samples] of stsc) {
      w.u32(firstChunk);
      w.u32(samples);
      w.u32(1);
    }
  });
  w.fullBox(BoxType.Stsz, 0, 0, () => {
    w.u32(0); // sample_size: every sample has its own
    w.u32(t.sizes.length);
    for (const size of t.sizes) w.u32(size);
  });
  w.fullBox(co64 ? BoxType.Co64 : BoxType.Stco, 0, 0, () => {
    w.u32(chunkOffsets.length);
    for (const offset of chunkOffsets) {
      if (co64) w.u64(offset);
      else w.u32(offset);
    }
  });
}

// An MP4 export of recorded segments, planned from their samples' timing and sizes alone: the
// cut (from the last video keyframe at or before the start to the first one at or after the end;
// audio-only streams cut on any frame), one timeline across the files (back-to-back files keep
// their recorded spacing, a gap or restart is closed up so timestamps stay continuous), the
// sample tables and the mdat layout (one chunk per file and track). The edge then reads the files
// again and writes the planned samples' bytes after the header. No re-encoding. Pure.
import type { Track, TrackKind } from '../media/types.ts';
import { formatDateTime } from '../remux/hls-playlist-format.ts';
import { type ProgressiveChunk, type ProgressiveTrack, writeProgressiveHeader } from '../remux/mp4-progressive.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { startsNewRun } from './lookback-playlist.ts';
import { sameTracks } from './recorded-media.ts';
import type { RecordingFormat } from '../shared/config-protocol.ts';

/**
 * One file's samples, column by column (a long export's timing and sizes stay a few tens of bytes
 * per sample): file order, timeline from zero (recorded-media.ts), in the track's timescale.
 */
export type ExportSamples = Readonly<{
  count: number;
  /** 1: video, 0: audio */
  video: Uint8Array;
  dts: Float64Array;
  pts: Float64Array;
  keyframe: Uint8Array;
  sizes: Uint32Array;
}>;

/** What the plan needs of one file: its name's start and duration, its tracks and its samples' timing and sizes. */
export type ExportFile = Readonly<{
  startMs: number;
  durationMs: number;
  format: RecordingFormat;
  tracks: readonly Track[];
  samples: ExportSamples;
}>;

/** The samples of one file to write, in this order, by index into that file's samples. */
export type ExportWrite = Readonly<{ fileIndex: number; sampleIndexes: readonly number[] }>;

export type ExportPlan = Readonly<{
  /** ftyp + moov + mdat header */
  header: Uint8Array;
  mdatPayloadBytes: number;
  writes: readonly ExportWrite[];
  /** the wall clock of the cut's first sample, and how long the export plays */
  firstMs: number;
  durationMs: number;
  tracks: readonly Track[];
}>;

type Cut = { exportMs: number; wallMs: number };

function refuse(message: string): never {
  throw new ProtocolError(ProtocolErrorCode.Unsupported, message);
}

const kindOf = (samples: ExportSamples, i: number): TrackKind => (samples.video[i] === 1 ? 'video' : 'audio');

/** The plan for [startMs, endMs) over `files` (sorted by start, the ones overlapping the range). */
export function planMp4Export(files: readonly ExportFile[], startMs: number, endMs: number): ExportPlan {
  if (files.length === 0) refuse('nothing recorded in the range');
  const tracks = files[0]!.tracks;
  for (const f of files) {
    if (!sameTracks(tracks, f.tracks)) refuse(`the codecs change at ${formatDateTime(f.startMs)}: export the parts before and after it separately`);
  }
  const msPerTick = new Map(tracks.map((t) => [t.kind, 1000 / t.timescale]));
  const cutKind: TrackKind = msPerTick.has('video') ? 'video' : 'audio';

  // where each file sits on the export's timeline: back-to-back files keep their spacing, gaps close up
  const placedMs: number[] = [];
  files.forEach((f, i) => {
    const previous = files[i - 1];
    placedMs.push(previous === undefined ? 0 : placedMs[i - 1]! + (startsNewRun(previous, f) ? previous.durationMs : f.startMs - previous.startMs));
  });

  // the cut: the last keyframe at or before the start (else the first), the first one at or after the end
  let first: Cut | undefined;
  let firstAny: Cut | undefined;
  let last: Cut | undefined;
  for (const [fileIndex, f] of files.entries()) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (kindOf(s, i) !== cutKind || s.keyframe[i] !== 1) continue;
      const offsetMs = s.dts[i]! * msPerTick.get(cutKind)!;
      const cut = { exportMs: placedMs[fileIndex]! + offsetMs, wallMs: f.startMs + offsetMs };
      firstAny ??= cut;
      if (cut.wallMs <= startMs) first = cut;
      else if (last === undefined && cut.wallMs >= endMs) last = cut;
    }
  }
  const from = first ?? firstAny;
  if (from === undefined) refuse('no keyframe in the range');
  const fromMs = from.exportMs;
  const toMs = last !== undefined && last.exportMs > fromMs ? last.exportMs : Infinity;

  // per track: the samples in [from, to) and their tables; per file: what to write, track by track
  const chosen = tracks.map((track) => ({ track, builder: new TableBuilder(track, fromMs) }));
  const chunks: ProgressiveChunk[] = [];
  const writes: ExportWrite[] = [];
  const kept = chosen.map(() => false);
  const perFile: Array<{ fileIndex: number; perTrack: number[][] }> = [];
  files.forEach((f, fileIndex) => {
    const s = f.samples;
    const perTrack = chosen.map((): number[] => []);
    chosen.forEach(({ track, builder }, trackIndex) => {
      const scale = msPerTick.get(track.kind)!;
      const base = placedMs[fileIndex]!;
      for (let i = 0; i < s.count; i++) {
        if (kindOf(s, i) !== track.kind) continue;
        const exportMs = base + s.dts[i]! * scale;
        if (exportMs < fromMs || exportMs >= toMs) continue;
        builder.add(base, s.dts[i]!, s.pts[i]!, s.sizes[i]!, s.keyframe[i] === 1);
        perTrack[trackIndex]!.push(i);
        kept[trackIndex] = true;
      }
    });
    perFile.push({ fileIndex, perTrack });
  });
  const keptIndexes = chosen.map((_, i) => i).filter((i) => kept[i]);
  for (const { fileIndex, perTrack } of perFile) {
    const indexes: number[] = [];
    keptIndexes.forEach((trackIndex, outIndex) => {
      const inFile = perTrack[trackIndex]!;
      if (inFile.length === 0) return;
      chunks.push({ trackIndex: outIndex, samples: inFile.length });
      for (const i of inFile) indexes.push(i);
    });
    if (indexes.length > 0) writes.push({ fileIndex, sampleIndexes: indexes });
  }
  const progressive = keptIndexes.map((i) => chosen[i]!.builder.finish());
  const header = writeProgressiveHeader(progressive, chunks);
  let durationMs = 0;
  for (const t of progressive) durationMs = Math.max(durationMs, (t.durations.reduce((a, b) => a + b, 0) * 1000) / t.track.timescale);
  return {
    header: header.bytes,
    mdatPayloadBytes: header.mdatPayloadBytes,
    writes,
    firstMs: from.wallMs,
    durationMs: Math.round(durationMs),
    tracks: progressive.map((t) => t.track),
  };
}

/** One track's tables from the cut on: dts strictly increasing, each sample lasting up to the next. */
class TableBuilder {
  private readonly originTicks: number;
  private readonly dts: number[] = [];
  private readonly offsets: number[] = [];
  private readonly sizes: number[] = [];
  private readonly keyframes: boolean[] = [];

  constructor(
    private readonly track: Track,
    fromMs: number,
  ) {
    this.originTicks = Math.round((fromMs * track.timescale) / 1000);
  }

  /** `placedMs`: the file's place on the export timeline; the sample keeps its exact ticks within the file. */
  add(placedMs: number, dts: number, pts: number, size: number, keyframe: boolean): void {
    let d = Math.max(0, Math.round((placedMs * this.track.timescale) / 1000) + dts - this.originTicks);
    const previous = this.dts.at(-1);
    if (previous !== undefined && d <= previous) d = previous + 1;
    this.dts.push(d);
    this.offsets.push(pts - dts);
    this.sizes.push(size);
    this.keyframes.push(keyframe);
  }

  finish(): ProgressiveTrack {
    const { dts } = this;
    const durations = dts.map((d, i) => (i + 1 < dts.length ? dts[i + 1]! - d : 0));
    if (durations.length > 1) durations[durations.length - 1] = durations[durations.length - 2]!;
    else durations[0] = Math.max(1, Math.round(this.track.timescale / 50)); // one sample alone: a nominal 20 ms
    return { track: this.track, durations, compositionOffsets: this.offsets, sizes: this.sizes, keyframes: this.keyframes };
  }
}

/** A file's samples as the plan needs them (timing and sizes; the bytes are read again when written). */
export function exportSamples(samples: ReadonlyArray<Readonly<{ kind: TrackKind; dts: number; pts: number; keyframe: boolean; data: Uint8Array }>>): ExportSamples {
  const count = samples.length;
  const out = {
    count,
    video: new Uint8Array(count),
    dts: new Float64Array(count),
    pts: new Float64Array(count),
    keyframe: new Uint8Array(count),
    sizes: new Uint32Array(count),
  };
  samples.forEach((s, i) => {
    out.video[i] = s.kind === 'video' ? 1 : 0;
    out.dts[i] = s.dts;
    out.pts[i] = s.pts;
    out.keyframe[i] = s.keyframe ? 1 : 0;
    out.sizes[i] = s.data.byteLength;
  });
  return out;
}

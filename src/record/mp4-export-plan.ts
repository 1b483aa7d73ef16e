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

export type ExportSample = Readonly<{ kind: TrackKind; dts: number; pts: number; keyframe: boolean; sizeBytes: number }>;

/** What the plan needs of one file: its name's start and duration, its tracks and its samples' timing and sizes. */
export type ExportFile = Readonly<{
  startMs: number;
  durationMs: number;
  format: RecordingFormat;
  tracks: readonly Track[];
  /** file order, timeline from zero (recorded-media.ts) */
  samples: readonly ExportSample[];
}>;

/** The samples of one file to write, in this order, by index into that file's samples. */
export type ExportWrite = Readonly<{ fileIndex: number; sampleIndexes: readonly number[] }>;

export type ExportPlan = Readonly<{
  /** ftyp + moov + mdat header */
  header: Uint8Array;
  mdatPayloadBytes: number;
  writes: readonly ExportWrite[];
  /** the wall-clock span the export covers (first and last sample of the cut) */
  firstMs: number;
  durationMs: number;
  tracks: readonly Track[];
}>;

type Picked = { fileIndex: number; sampleIndex: number; sample: ExportSample; exportMs: number; wallMs: number };

function refuse(message: string): never {
  throw new ProtocolError(ProtocolErrorCode.Unsupported, message);
}

/** The plan for [startMs, endMs) over `files` (sorted by start, the ones overlapping the range). */
export function planMp4Export(files: readonly ExportFile[], startMs: number, endMs: number): ExportPlan {
  if (files.length === 0) refuse('nothing recorded in the range');
  const tracks = files[0]!.tracks;
  for (const f of files) {
    if (!sameTracks(tracks, f.tracks)) refuse(`the codecs change at ${formatDateTime(f.startMs)}: export the parts before and after it separately`);
  }
  const timescale = new Map(tracks.map((t) => [t.kind, t.timescale]));
  const cutKind: TrackKind = timescale.has('video') ? 'video' : 'audio';

  // every sample on the export's timeline (file placement) and the wall clock (for the cut)
  const all: Picked[] = [];
  let placedMs = 0;
  files.forEach((f, fileIndex) => {
    if (fileIndex > 0) {
      const previous = files[fileIndex - 1]!;
      placedMs += startsNewRun(previous, f) ? previous.durationMs : f.startMs - previous.startMs;
    }
    f.samples.forEach((sample, sampleIndex) => {
      const offsetMs = (sample.dts * 1000) / timescale.get(sample.kind)!;
      all.push({ fileIndex, sampleIndex, sample, exportMs: placedMs + offsetMs, wallMs: f.startMs + offsetMs });
    });
  });
  const cuts = all.filter((p) => p.sample.kind === cutKind && p.sample.keyframe);
  if (cuts.length === 0) refuse('no keyframe in the range');
  const first = cuts.findLast((p) => p.wallMs <= startMs) ?? cuts[0]!;
  const last = cuts.find((p) => p.exportMs > first.exportMs && p.wallMs >= endMs);
  const fromMs = first.exportMs;
  const toMs = last?.exportMs ?? Infinity;

  const perTrack = tracks.map((track) => {
    const picked = all.filter((p) => p.sample.kind === track.kind && p.exportMs >= fromMs && p.exportMs < toMs);
    return { track, picked };
  });
  const kept = perTrack.filter((t) => t.picked.length > 0);
  const progressive: ProgressiveTrack[] = kept.map(({ track, picked }) => tables(track, picked, fromMs));

  // one chunk per file and track, in file order: the mdat interleaves the tracks file by file
  const chunks: ProgressiveChunk[] = [];
  const writes: ExportWrite[] = [];
  const byFile = files.map(() => kept.map((): number[] => []));
  kept.forEach(({ picked }, trackIndex) => {
    for (const p of picked) byFile[p.fileIndex]![trackIndex]!.push(p.sampleIndex);
  });
  byFile.forEach((perTrackIndexes, fileIndex) => {
    const indexes: number[] = [];
    perTrackIndexes.forEach((inFile, trackIndex) => {
      if (inFile.length === 0) return;
      chunks.push({ trackIndex, samples: inFile.length });
      indexes.push(...inFile);
    });
    if (indexes.length > 0) writes.push({ fileIndex, sampleIndexes: indexes });
  });
  const header = writeProgressiveHeader(progressive, chunks);
  const durationMs = Math.max(
    ...progressive.map((t) => (t.durations.reduce((a, b) => a + b, 0) * 1000) / t.track.timescale),
  );
  return { header: header.bytes, mdatPayloadBytes: header.mdatPayloadBytes, writes, firstMs: first.wallMs, durationMs: Math.round(durationMs), tracks: kept.map((t) => t.track) };
}

/** Sample tables of one track: dts from the cut on, strictly increasing, each sample's duration up to the next. */
function tables(track: Track, picked: readonly Picked[], fromMs: number): ProgressiveTrack {
  const ts = track.timescale;
  const originTicks = Math.round((fromMs * ts) / 1000);
  const placedTicks = new Map<number, number>();
  const dts: number[] = [];
  const pts: number[] = [];
  for (const p of picked) {
    // the file's place on the export timeline in this track's ticks (the sample keeps its exact ticks within the file)
    let base = placedTicks.get(p.fileIndex);
    if (base === undefined) {
      base = Math.round(((p.exportMs - (p.sample.dts * 1000) / ts) * ts) / 1000);
      placedTicks.set(p.fileIndex, base);
    }
    let d = Math.max(0, base + p.sample.dts - originTicks);
    if (dts.length > 0 && d <= dts.at(-1)!) d = dts.at(-1)! + 1;
    dts.push(d);
    pts.push(d + (p.sample.pts - p.sample.dts));
  }
  const durations = dts.map((d, i) => (i + 1 < dts.length ? dts[i + 1]! - d : 0));
  if (durations.length > 1) durations[durations.length - 1] = durations[durations.length - 2]!;
  else durations[0] = Math.max(1, Math.round(ts / 50)); // one sample alone: a nominal 20 ms
  return {
    track,
    durations,
    compositionOffsets: pts.map((p, i) => p - dts[i]!),
    sizes: picked.map((p) => p.sample.sizeBytes),
    keyframes: picked.map((p) => p.sample.keyframe),
  };
}

/** A file's samples as the plan needs them (timing and sizes; the bytes are read again when written). */
export function exportSamples(samples: ReadonlyArray<Readonly<{ kind: TrackKind; dts: number; pts: number; keyframe: boolean; data: Uint8Array }>>): ExportSample[] {
  return samples.map((s) => ({ kind: s.kind, dts: s.dts, pts: s.pts, keyframe: s.keyframe, sizeBytes: s.data.byteLength }));
}

// How much one stream's HLS output may hold, derived from the engine's HLS settings so that a
// publisher that never sends another keyframe (or stamps every frame alike) cannot grow it.
import type { EngineConfig } from '../../shared/engine-config.ts';

export type HlsMemoryCaps = Readonly<{
  /** an open segment this long without a keyframe is cut and the output waits for the next one */
  maxSegmentMs: number;
  /** the same for an open segment (and so any LL-HLS part of it) this many bytes */
  maxSegmentBytes: number;
  /** one variant's segments and parts kept for players; the oldest go first beyond it */
  maxWindowBytes: number;
}>;

/** Segments longer than this many targets are no use to a player; real GOPs stay well under 30 s. */
const SEGMENT_TARGETS_CAP = 10;
const MIN_SEGMENT_CAP_MS = 30_000;
/** a segment may take a quarter of its variant's budget, so the window keeps several */
const SEGMENTS_PER_WINDOW_BUDGET = 4;

export function hlsMemoryCaps(hls: EngineConfig['hls'], variants: { classic: boolean; lowLatency: boolean }): HlsMemoryCaps {
  const variantCount = Math.max(1, Number(variants.classic) + Number(variants.lowLatency));
  const maxWindowBytes = Math.floor(hls.maxBufferBytes / variantCount);
  return {
    maxSegmentMs: Math.max(hls.targetDurationMs * SEGMENT_TARGETS_CAP, MIN_SEGMENT_CAP_MS),
    maxSegmentBytes: Math.floor(maxWindowBytes / SEGMENTS_PER_WINDOW_BUDGET),
    maxWindowBytes,
  };
}

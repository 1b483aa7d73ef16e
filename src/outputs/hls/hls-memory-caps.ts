// How much one stream's HLS output may hold, derived from the engine's HLS settings so that a
// publisher that never sends another keyframe (or stamps every frame alike) cannot grow it.
import type { EngineConfig } from '../../shared/engine-config.ts';

export type HlsMemoryCaps = Readonly<{
  /** an open segment this long without a keyframe is cut and the output waits for the next one */
  maxSegmentMs: number;
  /** the same for an open segment this many bytes */
  maxSegmentBytes: number;
  /** an LL-HLS part closes early at the next frame boundary once it holds this many bytes */
  maxPartBytes: number;
  /** one variant's segments and parts kept for players; the oldest go first beyond it */
  maxWindowBytes: number;
}>;

/** Segments longer than this many targets are no use to a player; real GOPs stay well under 30 s. */
const SEGMENT_TARGETS_CAP = 10;
const MIN_SEGMENT_CAP_MS = 30_000;
/** a segment may take a quarter of its variant's budget, so the window keeps several */
const SEGMENTS_PER_WINDOW_BUDGET = 4;
/** parts are a few hundred milliseconds: an eighth of a segment's cap leaves room for 4K keyframes */
const PARTS_PER_SEGMENT_CAP = 8;

export function hlsMemoryCaps(hls: EngineConfig['hls'], variants: { classic: boolean; lowLatency: boolean }): HlsMemoryCaps {
  const variantCount = Math.max(1, Number(variants.classic) + Number(variants.lowLatency));
  const maxWindowBytes = Math.floor(hls.maxBufferBytes / variantCount);
  const maxSegmentBytes = Math.floor(maxWindowBytes / SEGMENTS_PER_WINDOW_BUDGET);
  return {
    maxSegmentMs: Math.max(hls.targetDurationMs * SEGMENT_TARGETS_CAP, MIN_SEGMENT_CAP_MS),
    maxSegmentBytes,
    maxPartBytes: Math.floor(maxSegmentBytes / PARTS_PER_SEGMENT_CAP),
    maxWindowBytes,
  };
}

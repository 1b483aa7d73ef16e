// Maps each publisher's 32-bit RTMP timestamps onto one stream timeline that never goes
// backwards per packet type and never stands still where the input moved on: across the
// 32-bit wrap, ffmpeg's FLV muxer wrapping at 2^31, encoder clock jumps and publisher restarts.
const WRAP = 0x1_0000_0000;
const HALF_WRAP = 0x8000_0000;

export type TimestampTolerances = Readonly<{
  /** a type stepping back more than this (or the stream's clock, across types) is a discontinuity */
  backwardMs: number;
  /** a stream's clock stepping forward more than this is a discontinuity */
  forwardMs: number;
}>;

/**
 * Backward: bigger than encoder jitter and the audio/video interleaving skew of real
 * publishers, small enough that clamping inside it holds frames for under a second.
 * Forward: a gap longer than any frame spacing or stall a live encoder reports truthfully.
 */
export const DEFAULT_TIMESTAMP_TOLERANCES: TimestampTolerances = { backwardMs: 1000, forwardMs: 10_000 };

/** The spacing a rebased type advances by when it has no history yet, and the most it advances by. */
const DEFAULT_SPACING_MS = 1;
const MAX_SPACING_MS = 1000;

type TypeState = {
  /** last raw 32-bit timestamp of this type from the current publisher */
  raw: number;
  /** where that raw value sits on the stream timeline before the per-type clamp */
  mapped: number;
  spacing: number;
};

export type Normalized = { timestampMs: number; discontinuity: boolean };

/** The signed distance from a to b on the 32-bit circle, in [-2^31, 2^31). */
function signedDiff(b: number, a: number): number {
  let d = (b - a) % WRAP;
  if (d >= HALF_WRAP) d -= WRAP;
  else if (d < -HALF_WRAP) d += WRAP;
  return d;
}

export class TimestampNormalizer {
  /** the last value emitted per packet type, kept across publishers */
  private readonly lastOutput = new Map<number, number>();
  /** per type, for the current publisher only */
  private types = new Map<number, TypeState>();
  /** the most recent packet of any type from the current publisher: the stream's clock */
  private ref: { raw: number; mapped: number } | null = null;
  private highWater = -1;
  /** timeline rebases since this normalizer was made */
  discontinuities = 0;

  constructor(private readonly tolerances: TimestampTolerances = DEFAULT_TIMESTAMP_TOLERANCES) {}

  /** A new publisher starts: nothing of the previous one's clock carries over, only where viewers are. */
  startPublisher(): void {
    this.types = new Map();
    this.ref = null;
  }

  normalize(type: number, raw32: number): number {
    return this.map(type, raw32).timestampMs;
  }

  /**
   * Where a sequence header or a data message goes: on the clock where it fits, else beside the
   * last packet; it moves no clock, since encoders stamp a resent header (or a caption) 0 or
   * anything else.
   */
  placeHeader(type: number, raw32: number): number {
    const raw = raw32 >>> 0;
    const last = this.lastOutput.get(type);
    let value: number;
    if (this.ref === null) value = this.highWater < 0 ? raw : this.highWater + 1;
    else {
      const shared = signedDiff(raw, this.ref.raw);
      const fits = shared >= -this.tolerances.backwardMs && shared <= this.tolerances.forwardMs;
      value = fits ? this.ref.mapped + shared : (last ?? this.ref.mapped);
    }
    if (last !== undefined && value < last) value = last;
    this.lastOutput.set(type, value);
    return value;
  }

  map(type: number, raw32: number): Normalized {
    const raw = raw32 >>> 0;
    const state = this.types.get(type);
    const { backwardMs, forwardMs } = this.tolerances;
    let mapped: number;
    let discontinuity = false;
    if (this.ref === null) {
      // The first publisher keeps its own clock; a successor continues after the high water mark.
      mapped = this.highWater < 0 ? raw : this.highWater + 1;
    } else {
      const own = state ? signedDiff(raw, state.raw) : null;
      const shared = signedDiff(raw, this.ref.raw);
      if (own !== null && own >= -backwardMs && own <= forwardMs) {
        // Continues this type's own clock: a straggler from before another type's jump stays in place.
        mapped = state!.mapped + own;
      } else if (shared >= -backwardMs && shared <= forwardMs) {
        // Continues the stream's clock: a type's first packet, a sparse one, or one following another type's jump.
        mapped = this.ref.mapped + shared;
      } else {
        // A wrap at some other width, an encoder reset, a jump: keep going by the frame spacing,
        // and past everything already out, so the other types can follow without being held.
        const last = this.lastOutput.get(type);
        const spacing = state?.spacing ?? DEFAULT_SPACING_MS;
        mapped = Math.max((last ?? this.ref.mapped) + spacing, this.highWater + 1);
        discontinuity = true;
        this.discontinuities++;
      }
    }
    if (state) {
      const step = mapped - state.mapped;
      if (step > 0 && !discontinuity) state.spacing = Math.min(step, MAX_SPACING_MS);
      state.raw = raw;
      state.mapped = mapped;
    } else {
      this.types.set(type, { raw, mapped, spacing: DEFAULT_SPACING_MS });
    }
    // A straggler still on an older clock does not move the stream's clock back to it.
    if (this.ref === null || discontinuity || mapped - this.ref.mapped === signedDiff(raw, this.ref.raw)) {
      this.ref = { raw, mapped };
    }
    let value = mapped;
    const last = this.lastOutput.get(type);
    if (last !== undefined && value < last) value = last; // jitter inside the tolerance is held, not replayed
    this.lastOutput.set(type, value);
    if (value > this.highWater) this.highWater = value;
    return { timestampMs: value, discontinuity };
  }
}

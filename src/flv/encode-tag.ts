// The output of the FLV tag body encoders that turn MPEG-TS elementary streams into FLV (Adobe FLV spec v10.1, E.4.1):
// a tag type, a millisecond timestamp and a body, which is what the hub ingests.
import { FlvTagType } from './flv-tag-type.ts';

export type EncodedTag = Readonly<{ type: typeof FlvTagType.Audio | typeof FlvTagType.Video; timestampMs: number; body: Uint8Array }>;

const TICKS_PER_MS_90K = 90;

/** 90 kHz ticks to whole milliseconds. */
export function ticks90kToMs(ticks: number): number {
  return Math.round(ticks / TICKS_PER_MS_90K);
}

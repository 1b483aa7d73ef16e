// When the benchmark's publisher sent each video frame, keyed by the RTMP timestamp it sent it
// with, for HLS latency: HLS media carries timestamps, not FLV frame bodies, so the load tool's
// (size, last 4 bytes) key cannot be looked up from a segment. For the first publisher of a
// stream the engine keeps the publisher's millisecond timestamps and HLS media carries them as
// ms x 90 (90 kHz), so a segment's or part's DTS / 90 is the key here.
//
// Publisher (publisher.ts) records every video tag it writes, in order, through
// SendTimeTable.recordSend(size, tail32, sentAt): the video sequence header(s) first, then the
// file's video frames, looping with monotonic timestamps (each loop adds the file's frame span
// plus a 33 ms gap). This subclass follows that sequence: a recordSend whose key is the next
// expected video frame's gets that frame's timestamp (plus the loop offset); anything else (the
// sequence header) is counted and ignored.
import type { FlvFileTag } from './flv-file.ts';
import { frameKey, isAudioFrame, isVideoFrame, tail32Of } from './media-probe.ts';
import { SendTimeTable } from './metrics.ts';

const VIDEO = 9;
const AUDIO = 8;
/** publisher.ts LOOP_GAP_MS: the gap it leaves between the last frame of a loop and the first of the next */
const PUBLISHER_LOOP_GAP_MS = 33;

function isFrame(t: FlvFileTag): boolean {
  const b0 = t.body.length > 0 ? t.body[0]! : -1;
  const b1 = t.body.length > 1 ? t.body[1]! : -1;
  if (t.type === VIDEO) return isVideoFrame(b0, b1);
  if (t.type === AUDIO) return isAudioFrame(b0, b1);
  return false;
}

const AVC_END_OF_SEQUENCE = 2;

/**
 * The file's tags without AVC end-of-sequence tags. Publisher sends every tag that is not a frame
 * once, before the first frame, with its own timestamp: the file's end-of-sequence tag (at the
 * last frame's timestamp, ~60 s) would go out first, and the engine, which keeps each packet
 * type's timestamps monotonic, would then stamp every video frame of the first loop with that
 * timestamp, so no HLS segment or part would be cut for a minute.
 */
export function withoutEndOfSequence(tags: readonly FlvFileTag[]): FlvFileTag[] {
  return tags.filter((t) => !(t.type === VIDEO && (t.body[0]! & 0x0f) === 7 && t.body[1] === AVC_END_OF_SEQUENCE));
}

export class TimestampSendTimes extends SendTimeTable {
  /** sent timestamp (ms, as on the wire, loops included) -> performance.now() when its bytes went to the socket */
  readonly sentAtByTimestampMs = new Map<number, number>();
  /** recordSend calls that were not the expected next video frame (sequence headers) */
  unexpected = 0;
  loops = 0;
  readonly loopLengthMs: number;
  private readonly keys: number[];
  private readonly timestamps: number[];
  private next = 0;

  constructor(tags: readonly FlvFileTag[]) {
    super();
    const frames = tags.filter(isFrame);
    const video = frames.filter((t) => t.type === VIDEO);
    if (video.length === 0) throw new Error('the FLV file holds no video frame');
    this.keys = video.map((t) => frameKey(t.body.length, tail32Of(t.body)));
    this.timestamps = video.map((t) => t.timestampMs);
    this.loopLengthMs = frames.at(-1)!.timestampMs - frames[0]!.timestampMs + PUBLISHER_LOOP_GAP_MS;
  }

  override recordSend(sizeBytes: number, tail32: number, atMs: number): void {
    super.recordSend(sizeBytes, tail32, atMs);
    if (frameKey(sizeBytes, tail32) !== this.keys[this.next]) {
      this.unexpected++;
      return;
    }
    this.sentAtByTimestampMs.set(this.timestamps[this.next]! + this.loops * this.loopLengthMs, atMs);
    this.next++;
    if (this.next === this.keys.length) {
      this.next = 0;
      this.loops++;
    }
  }

  /** when the frame with this timestamp was sent, if it was */
  sendTimeOf(timestampMs: number): number | undefined {
    return this.sentAtByTimestampMs.get(timestampMs);
  }

  /** range of (send time - timestamp) over all frames: the publisher's pacing jitter, plus any mapping error */
  scheduleSpreadMs(): { min: number; max: number } {
    let min = Infinity;
    let max = -Infinity;
    for (const [ts, at] of this.sentAtByTimestampMs) {
      const d = at - ts;
      if (d < min) min = d;
      if (d > max) max = d;
    }
    return { min, max };
  }
}

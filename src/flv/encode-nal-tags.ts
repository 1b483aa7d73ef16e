// What H.264 (encode-avc.ts) and H.265 (encode-hevc.ts) share in turning Annex B access units into FLV video tags:
// keep the latest parameter sets, send a sequence header on a keyframe when they changed (or first of all), then one
// frame tag per access unit. Frames before the first keyframe with every parameter set are dropped.
import { sameByteLists } from '../media/bytes.ts';
import { splitAnnexB } from './encode-annexb.ts';
import { ticks90kToMs, type EncodedTag } from './encode-tag.ts';
import { FlvTagType } from './flv-tag-type.ts';

/** A NAL's part in an access unit: the index of its parameter-set kind, a random-access picture's NAL, another, or none. */
export type NalRole = number | 'key' | 'frame' | 'skip';

export type NalTagCodec = Readonly<{
  /** the parameter-set kinds a sequence header needs, in the order `classify` numbers them (H.264: SPS, PPS) */
  setKinds: number;
  classify: (nal: Uint8Array) => NalRole;
  /** the sequence header tag body from one list of NAL units per parameter-set kind */
  sequenceHeaderBody: (sets: readonly (readonly Uint8Array[])[]) => Uint8Array;
  framesBody: (nals: readonly Uint8Array[], keyframe: boolean, compositionTimeMs: number) => Uint8Array;
}>;

export class NalTagEncoder {
  private sets: Uint8Array[][];
  private sent: Uint8Array[] = [];
  private started = false;

  constructor(private readonly codec: NalTagCodec) {
    this.sets = Array.from({ length: codec.setKinds }, () => []);
  }

  /** Forget the parameter sets sent (after a discontinuity): the next keyframe re-sends the sequence header. */
  reset(): void {
    this.started = false;
    this.sent = [];
  }

  encode(annexB: Uint8Array, dtsTicks90k: number, ptsTicks90k: number): EncodedTag[] {
    const frame: Uint8Array[] = [];
    const found: Uint8Array[][] = Array.from({ length: this.codec.setKinds }, () => []);
    let keyframe = false;
    for (const nal of splitAnnexB(annexB)) {
      const role = this.codec.classify(nal);
      if (typeof role === 'number') found[role]!.push(nal.slice());
      else if (role !== 'skip') {
        if (role === 'key') keyframe = true;
        frame.push(nal);
      }
    }
    found.forEach((nals, kind) => {
      if (nals.length > 0) this.sets[kind] = nals;
    });
    const out: EncodedTag[] = [];
    const timestampMs = ticks90kToMs(dtsTicks90k);
    // A NAL's kind is in its header, so comparing the lists one after another is comparing each kind's.
    const all = this.sets.flat();
    const ready = this.sets.every((nals) => nals.length > 0);
    if (keyframe && ready && (!this.started || !sameByteLists(all, this.sent))) {
      out.push({ type: FlvTagType.Video, timestampMs, body: this.codec.sequenceHeaderBody(this.sets) });
      this.sent = all;
      this.started = true;
    }
    if (!this.started || frame.length === 0) return out;
    const compositionTimeMs = ticks90kToMs(ptsTicks90k) - timestampMs;
    out.push({ type: FlvTagType.Video, timestampMs, body: this.codec.framesBody(frame, keyframe, compositionTimeMs) });
    return out;
  }
}

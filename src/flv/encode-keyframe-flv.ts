// A tiny FLV file of one video keyframe for a still-image decoder (Adobe FLV spec v10.1, Annex E): the
// header, the video sequence header (decoder configuration) and the keyframe, both at time 0.
import { encodeFlvHeader, encodeFlvTag } from './encode-flv.ts';
import { FlvTagType } from './flv-tag-type.ts';
import { concatBytes } from '../media/bytes.ts';

/** `sequenceHeader` and `keyframe` are FLV video tag bodies as the hub carries them. */
export function encodeKeyframeFlv(sequenceHeader: Uint8Array, keyframe: Uint8Array): Uint8Array {
  return concatBytes([
    encodeFlvHeader({ hasAudio: false, hasVideo: true }),
    encodeFlvTag(FlvTagType.Video, 0, sequenceHeader),
    encodeFlvTag(FlvTagType.Video, 0, keyframe),
  ]);
}

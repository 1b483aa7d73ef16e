// Decides, once per tag at ingest, what the hub must know of an FLV tag body: is it a
// header every viewer needs (sequence header, onMetaData) and can a viewer start on it.
import { FlvTagType } from './flv-tag-type.ts';
import { parseAudioTag } from './parse-audio-tag.ts';
import { parseVideoTag } from './parse-video-tag.ts';

export type TagClass = Readonly<{ header: boolean; keyframe: boolean }>;

const ON_METADATA = new TextEncoder().encode('onMetaData');
const AMF0_STRING_MARKER = 0x02;

/** An AMF0 data message that starts with the string 'onMetaData' (after @setDataFrame was stripped). */
export function isOnMetaData(body: Uint8Array): boolean {
  if (body.byteLength < 3 + ON_METADATA.byteLength || body[0] !== AMF0_STRING_MARKER) return false;
  if (((body[1]! << 8) | body[2]!) !== ON_METADATA.byteLength) return false;
  for (let i = 0; i < ON_METADATA.byteLength; i++) if (body[3 + i] !== ON_METADATA[i]) return false;
  return true;
}

export function classifyTag(tagType: number, body: Uint8Array): TagClass {
  if (tagType === FlvTagType.Video) {
    const info = parseVideoTag(body);
    if (info.kind === 'sequence-header') return { header: true, keyframe: false };
    if (info.kind === 'multitrack') return { header: info.sequenceHeader, keyframe: info.keyframe };
    return { header: false, keyframe: info.kind === 'frame' && info.keyframe };
  }
  if (tagType === FlvTagType.Audio) {
    const info = parseAudioTag(body);
    if (info.kind === 'sequence-header') return { header: true, keyframe: false };
    if (info.kind === 'multitrack') return { header: info.sequenceHeader, keyframe: false };
    return { header: false, keyframe: false };
  }
  return { header: isOnMetaData(body), keyframe: false };
}

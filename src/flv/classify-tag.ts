// Decides, once per tag at ingest, what the hub must know of an FLV tag body: is it a
// header every viewer needs (sequence header, onMetaData) and can a viewer start on it. The
// parse it took to tell is handed on with it, so outputs that repackage media (HLS) do not
// parse every tag again.
import { readUint16BE } from '../media/bytes.ts';
import { FlvTagType } from './flv-tag-type.ts';
import { parseAudioTag, type AudioTagInfo } from './parse-audio-tag.ts';
import { parseVideoTag, type VideoTagInfo } from './parse-video-tag.ts';

/** A tag body as parsed at ingest: `video` for a video tag, `audio` for an audio tag (views into the body). */
export type ParsedTag = Readonly<{ video?: VideoTagInfo; audio?: AudioTagInfo }>;

export type TagClass = Readonly<{ header: boolean; keyframe: boolean } & ParsedTag>;

const ON_METADATA = new TextEncoder().encode('onMetaData');
const AMF0_STRING_MARKER = 0x02;

/** An AMF0 data message that starts with the string 'onMetaData' (after @setDataFrame was stripped). */
export function isOnMetaData(body: Uint8Array): boolean {
  if (body.byteLength < 3 + ON_METADATA.byteLength || body[0] !== AMF0_STRING_MARKER) return false;
  if (readUint16BE(body, 1) !== ON_METADATA.byteLength) return false;
  for (let i = 0; i < ON_METADATA.byteLength; i++) if (body[3 + i] !== ON_METADATA[i]) return false;
  return true;
}

export function classifyTag(tagType: number, body: Uint8Array): TagClass {
  if (tagType === FlvTagType.Video) {
    const info = parseVideoTag(body);
    if (info.kind === 'sequence-header') return { header: true, keyframe: false, video: info };
    if (info.kind === 'multitrack') return { header: info.sequenceHeader, keyframe: info.keyframe, video: info };
    return { header: false, keyframe: info.kind === 'frame' && info.keyframe, video: info };
  }
  if (tagType === FlvTagType.Audio) {
    const info = parseAudioTag(body);
    if (info.kind === 'sequence-header') return { header: true, keyframe: false, audio: info };
    if (info.kind === 'multitrack') return { header: info.sequenceHeader, keyframe: false, audio: info };
    return { header: false, keyframe: false, audio: info };
  }
  return { header: isOnMetaData(body), keyframe: false };
}

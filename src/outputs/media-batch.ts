// What one flush window of a format output hands its viewers: the window's serialized packets
// joined once into one buffer that every caught-up viewer writes as is, plus the packets one by
// one for a viewer that is behind and must pick (drop inter frames, wait for a keyframe).
import type { MediaPacket } from '../hub/media-packet.ts';
import { FlvTagType } from '../flv/flv-tag-type.ts';

/** header: never dropped; video: an inter frame may be dropped by a degraded viewer */
export type MediaKind = 'header' | 'audio' | 'video' | 'data';

export type MediaEntry = Readonly<{
  bytes: Uint8Array;
  kind: MediaKind;
  /** a video keyframe, or any audio frame of a stream without video */
  randomAccess: boolean;
  /** the packet's stream time, for how far behind live a viewer's queue is */
  timestampMs: number;
}>;

export type MediaBatch = Readonly<{
  /** every entry's bytes, in order, in one buffer: the same object for every viewer */
  bytes: Uint8Array;
  entries: readonly MediaEntry[];
}>;

export function mediaEntry(packet: MediaPacket, bytes: Uint8Array): MediaEntry {
  const kind: MediaKind = packet.header
    ? 'header'
    : packet.type === FlvTagType.Video
      ? 'video'
      : packet.type === FlvTagType.Audio
        ? 'audio'
        : 'data';
  return { bytes, kind, randomAccess: packet.randomAccess, timestampMs: packet.timestampMs };
}

/**
 * Joins a window's entries once. Entries laid one after another in one buffer (a ByteArena)
 * are already joined: the batch is a view of them. A window of one packet is its bytes.
 */
export function joinBatch(entries: readonly MediaEntry[]): MediaBatch {
  if (entries.length === 1) return { bytes: entries[0]!.bytes, entries };
  const contiguous = contiguousView(entries);
  if (contiguous) return { bytes: contiguous, entries };
  let size = 0;
  for (const entry of entries) size += entry.bytes.byteLength;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const entry of entries) {
    bytes.set(entry.bytes, at);
    at += entry.bytes.byteLength;
  }
  return { bytes, entries };
}

/** One view over every entry's bytes when each starts where the one before it ends, in the same buffer. */
function contiguousView(entries: readonly MediaEntry[]): Uint8Array | null {
  const first = entries[0];
  if (!first) return null;
  const buffer = first.bytes.buffer;
  let end = first.bytes.byteOffset + first.bytes.byteLength;
  for (let i = 1; i < entries.length; i++) {
    const bytes = entries[i]!.bytes;
    if (bytes.buffer !== buffer || bytes.byteOffset !== end) return null;
    end += bytes.byteLength;
  }
  return new Uint8Array(buffer, first.bytes.byteOffset, end - first.bytes.byteOffset);
}

// Byte helpers shared by the FLV body parsers: SI24/UI32 reads, the Enhanced RTMP ModEx loop and the
// v2 multitrack track walk (veovera enhanced-rtmp v2, "ExAudioTagHeader"/"ExVideoTagHeader", "Multitrack").
import { readUint16BE, readUint24BE } from '../media/bytes.ts';
import { AvMultitrackType } from './flv-codes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export function requireLength(body: Uint8Array, length: number, what: string): void {
  if (body.length < length) {
    throw new ProtocolError(ProtocolErrorCode.Truncated, `${what}: need ${length} bytes, have ${body.length}`);
  }
}

export type ModExResult = { packetType: number; offset: number };

/**
 * Skips the ModEx entries that precede the real packet type:
 * `modExDataSize = UI8 + 1 (UI16 + 1 when 256)`, `modExData`, then `modExType:UB[4] | packetType:UB[4]`.
 * Their payloads (today only TimestampOffsetNano) are below FLV's millisecond resolution and are dropped.
 */
export function skipModEx(body: Uint8Array, offset: number, packetType: number, modEx: number, what: string): ModExResult {
  let at = offset;
  let type = packetType;
  while (type === modEx) {
    requireLength(body, at + 1, `${what} ModEx size`);
    let sizeBytes = body[at]! + 1;
    at += 1;
    if (sizeBytes === 256) {
      requireLength(body, at + 2, `${what} ModEx size`);
      sizeBytes = readUint16BE(body, at) + 1;
      at += 2;
    }
    at += sizeBytes;
    requireLength(body, at + 1, `${what} ModEx data`);
    type = body[at]! & 0x0f;
    at += 1;
  }
  return { packetType: type, offset: at };
}

/**
 * Checks an Enhanced RTMP v2 multitrack body from its header at `offset` (`AvMultitrackType:UB[4] |
 * packetType:UB[4]`, a FourCC unless ManyTracksManyCodecs, then the tracks) and returns the tracks'
 * packet type; `checkPacketType` refuses the ones the caller's media kind does not allow.
 */
export function checkMultitrack(body: Uint8Array, offset: number, what: string, checkPacketType: (packetType: number) => void): number {
  requireLength(body, offset + 1, `${what} multitrack header`);
  const multitrackType = body[offset]! >> 4;
  const trackPacketType = body[offset]! & 0x0f;
  let at = offset + 1;
  checkMultitrackType(multitrackType, what);
  checkPacketType(trackPacketType);
  if (multitrackType !== AvMultitrackType.ManyTracksManyCodecs) {
    requireLength(body, at + 4, `${what} FourCC`);
    at += 4;
  }
  checkMultitrackTracks(body, at, multitrackType, what);
  return trackPacketType;
}

/**
 * Checks the track layout after the multitrack header: OneTrack is `trackId` then data; ManyTracks and
 * ManyTracksManyCodecs repeat `[FourCC] trackId UI8, sizeOfTrack UI24, data[sizeOfTrack]` to the end.
 */
function checkMultitrackTracks(body: Uint8Array, offset: number, multitrackType: number, what: string): void {
  if (multitrackType === AvMultitrackType.OneTrack) {
    requireLength(body, offset + 1, `${what} multitrack track id`);
    return;
  }
  const perCodec = multitrackType === AvMultitrackType.ManyTracksManyCodecs;
  let at = offset;
  if (at >= body.length) {
    throw new ProtocolError(ProtocolErrorCode.Truncated, `${what} multitrack: no tracks`);
  }
  while (at < body.length) {
    if (perCodec) at += 4;
    requireLength(body, at + 4, `${what} multitrack track header`);
    const sizeBytes = readUint24BE(body, at + 1);
    at += 4 + sizeBytes;
    requireLength(body, at, `${what} multitrack track data`);
  }
}

function checkMultitrackType(multitrackType: number, what: string): void {
  if (multitrackType > AvMultitrackType.ManyTracksManyCodecs) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `${what}: reserved AvMultitrackType ${multitrackType}`);
  }
}

// MPEG-4 AAC in LATM over RTP (RFC 6416 §6.1 MP4A-LATM, as GStreamer's rtpmp4apay and some cameras send it) with
// cpresent=0: the StreamMuxConfig comes out of band in the SDP's config=, each AudioMuxElement is PayloadLengthInfo
// (bytes of 255 summed up to the first that is not) and the raw AAC frame; an element may span packets (the marker
// ends it). RTP packets in, raw AAC frames with their RTP timestamps out.
import { BitReader } from '../media/bit-reader.ts';
import { concatBytes } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { AAC_SAMPLES_PER_FRAME, type AudioUnit } from './depacketize-aac.ts';
import type { RtpPacket } from './rtp-packet.ts';

const MAX_ELEMENT_BYTES = 64 * 1024;

/**
 * The AudioSpecificConfig inside a StreamMuxConfig (ISO/IEC 14496-3 §1.7.3.1), for the one form RTP senders use:
 * audioMuxVersion 0, all streams on the same time framing, one program, one layer, one frame per element
 * (numSubFrames 0) and frameLengthType 0 (variable-length frames). Other forms are refused as unsupported.
 */
export function audioSpecificConfigOfStreamMuxConfig(smc: Uint8Array): Uint8Array {
  const r = new BitReader(smc, 'LATM StreamMuxConfig');
  if (r.readBits(1) !== 0) throw new ProtocolError(ProtocolErrorCode.Unsupported, 'LATM: audioMuxVersion 1');
  const sameTimeFraming = r.readBits(1);
  const numSubFrames = r.readBits(6);
  const numProgram = r.readBits(4);
  const numLayer = r.readBits(3);
  if (sameTimeFraming !== 1 || numSubFrames !== 0 || numProgram !== 0 || numLayer !== 0) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, 'LATM: more than one program, layer or subframe');
  }
  // AudioSpecificConfig: audioObjectType(5) samplingFrequencyIndex(4) channelConfiguration(4) GASpecificConfig(3)
  const ascStart = r.bitPosition;
  const objectType = r.readBits(5);
  const frequencyIndex = r.readBits(4);
  r.readBits(4); // channelConfiguration
  const gaBits = r.readBits(3);
  if (objectType < 1 || objectType > 4) throw new ProtocolError(ProtocolErrorCode.Unsupported, `LATM: AAC object type ${objectType}`);
  if (frequencyIndex > 12) throw new ProtocolError(ProtocolErrorCode.Unsupported, `LATM: sampling frequency index ${frequencyIndex}`);
  if (gaBits !== 0) throw new ProtocolError(ProtocolErrorCode.Unsupported, 'LATM: frameLengthFlag, core coder or extension set');
  // backward-compatible SBR signalling (§1.6.6.2: sync extension 0x2b7, AOT 5, sbrPresentFlag[, its frequency index]),
  // which GStreamer's AAC encoders add: it stays part of the AudioSpecificConfig handed on
  if (peekBits(smc, r.bitPosition, 11) === SYNC_EXTENSION_TYPE) {
    r.readBits(11);
    if (r.readBits(5) !== SBR_OBJECT_TYPE) throw new ProtocolError(ProtocolErrorCode.Unsupported, 'LATM: sync extension other than SBR');
    if (r.readBits(1) === 1) r.readBits(4);
  }
  const ascBits = r.bitPosition - ascStart;
  if (r.readBits(3) !== 0) throw new ProtocolError(ProtocolErrorCode.Unsupported, 'LATM: frameLengthType other than 0');
  return copyBits(smc, ascStart, ascBits);
}

const SYNC_EXTENSION_TYPE = 0x2b7;
const SBR_OBJECT_TYPE = 5;

/** n bits at a bit offset, or -1 past the end */
function peekBits(bytes: Uint8Array, offset: number, n: number): number {
  if (offset + n > bytes.length * 8) return -1;
  const r = new BitReader(bytes, 'LATM StreamMuxConfig');
  for (let skip = offset; skip > 0; skip -= Math.min(skip, 32)) r.readBits(Math.min(skip, 32));
  return r.readBits(n);
}

/** `count` bits from a bit offset, MSB first, into bytes (the last one padded with zeros) */
function copyBits(bytes: Uint8Array, offset: number, count: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(count / 8));
  for (let i = 0; i < count; i++) {
    const bit = (bytes[(offset + i) >> 3]! >> (7 - ((offset + i) & 7))) & 1;
    out[i >> 3]! |= bit << (7 - (i & 7));
  }
  return out;
}

export class LatmDepacketizer {
  private pending: { timestamp: number; parts: Uint8Array[]; size: number } | undefined;
  /** after a loss, up to the next marker: this packet may be the middle or end of an element */
  private skipping = false;
  droppedUnits = 0;

  push(packet: RtpPacket, lost = 0): AudioUnit[] {
    if (lost > 0 || (this.pending && this.pending.timestamp !== packet.timestamp)) {
      if (this.pending || lost > 0) this.droppedUnits++;
      this.pending = undefined;
      this.skipping = lost > 0;
    }
    if (this.skipping) {
      if (packet.marker) this.skipping = false;
      return [];
    }
    const p = (this.pending ??= { timestamp: packet.timestamp, parts: [], size: 0 });
    p.parts.push(packet.payload);
    p.size += packet.payload.length;
    if (p.size > MAX_ELEMENT_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `LATM: element over ${MAX_ELEMENT_BYTES} bytes`);
    if (!packet.marker) return [];
    this.pending = undefined;
    const frames = splitElements(p.parts.length === 1 ? p.parts[0]! : concatBytes(p.parts));
    if (frames === null) throw new ProtocolError(ProtocolErrorCode.Malformed, 'LATM: payload lengths do not add up to the packet');
    return frames.map((data, i) => ({ timestamp: (p.timestamp + i * AAC_SAMPLES_PER_FRAME) >>> 0, data }));
  }
}

/** The frames of back-to-back AudioMuxElements, or null when the lengths do not cover the bytes exactly. */
function splitElements(bytes: Uint8Array): Uint8Array[] | null {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length = 0;
    let b: number;
    do {
      if (at >= bytes.length) return null;
      b = bytes[at++]!;
      length += b;
    } while (b === 255);
    if (length === 0 || at + length > bytes.length) return null;
    frames.push(bytes.subarray(at, at + length));
    at += length;
  }
  return frames.length > 0 ? frames : null;
}

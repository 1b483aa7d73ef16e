// Opus in MPEG-TS, the mapping Xiph published (control headers in the style of ETSI TS 102 366) as ffmpeg and
// GStreamer write it: stream_type 0x06 (PES private data) on stream_id 0xBD, a registration_descriptor "Opus" and a DVB
// extension descriptor (tag 0x7F, extension tag 0x80) carrying channel_config_code; each Opus packet in the PES
// is preceded by a control header: 11 bits 0x3FF, start_trim/end_trim/control_extension flags, 2 reserved bits,
// au_size as a run of 0xFF bytes plus a last byte, then the optional trims (16 bits each) and extension.
import { readUint16BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { REGISTRATION_DESCRIPTOR_TAG } from './ts-codes.ts';

const OPUS_FORMAT_IDENTIFIER = [0x4f, 0x70, 0x75, 0x73]; // "Opus"
/** DVB extension_descriptor (EN 300 468 §6.2.16) and the Opus extension tag within it */
const EXTENSION_DESCRIPTOR_TAG = 0x7f;
const OPUS_EXTENSION_TAG = 0x80;
/** the first 11 bits of every control header */
const CONTROL_PREFIX_BYTE = 0x7f;
const CONTROL_PREFIX_MASK = 0xe0;
const Flag = { StartTrim: 0x10, EndTrim: 0x08, ControlExtension: 0x04 } as const;
const CONTROL_HEADER_FIXED_BYTES = 2;
const AU_SIZE_CONTINUE = 0xff;
/** Opus packets are at most 120 ms; anything past 1275 bytes per frame × 48 frames is not Opus (RFC 6716 §3.2.5) */
const MAX_OPUS_PACKET_BYTES = 1275 * 48;

export type OpusTsPacket = Readonly<{ data: Uint8Array; startTrimSamples: number; endTrimSamples: number }>;

/** The channel count an Opus stream's descriptors announce, or undefined when they do not mark Opus. */
export function opusChannelsFromDescriptors(descriptors: Uint8Array): number | undefined {
  let registered = false;
  let channelConfigCode: number | undefined;
  for (let at = 0; at + 2 <= descriptors.length; ) {
    const tag = descriptors[at]!;
    const length = descriptors[at + 1]!;
    const body = descriptors.subarray(at + 2, at + 2 + length);
    at += 2 + length;
    if (body.length < length) break;
    if (tag === REGISTRATION_DESCRIPTOR_TAG && length >= 4 && OPUS_FORMAT_IDENTIFIER.every((b, i) => body[i] === b)) registered = true;
    if (tag === EXTENSION_DESCRIPTOR_TAG && length >= 2 && body[0] === OPUS_EXTENSION_TAG) channelConfigCode = body[1];
  }
  if (!registered) return undefined;
  // No extension descriptor: the mapping's default is stereo. Codes 1-8 are a channel count (family 0 for 1-2,
  // Vorbis order beyond); 0x80/0x81 (dual mono, explicit mapping) and the rest are left to the caller to refuse.
  return channelConfigCode ?? 2;
}

/** PMT ES descriptors for an Opus stream of `channels` (1 or 2, RFC 7845 mapping family 0). */
export function opusDescriptors(channels: number): Uint8Array {
  return Uint8Array.of(REGISTRATION_DESCRIPTOR_TAG, 4, ...OPUS_FORMAT_IDENTIFIER, EXTENSION_DESCRIPTOR_TAG, 2, OPUS_EXTENSION_TAG, channels);
}

/** The control header in front of one Opus packet of `size` bytes (no trims, no extension). */
export function encodeOpusControlHeader(size: number): Uint8Array {
  if (!Number.isInteger(size) || size <= 0 || size > MAX_OPUS_PACKET_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, `Opus in TS: ${size}-byte packet`);
  }
  const runs = Math.floor(size / AU_SIZE_CONTINUE);
  const out = new Uint8Array(CONTROL_HEADER_FIXED_BYTES + runs + 1).fill(AU_SIZE_CONTINUE);
  out[0] = CONTROL_PREFIX_BYTE;
  out[1] = CONTROL_PREFIX_MASK;
  out[out.length - 1] = size - runs * AU_SIZE_CONTINUE;
  return out;
}

/** Splits one PES payload into its Opus packets; a control header that does not fit throws ProtocolError. */
export function splitOpusPes(payload: Uint8Array): OpusTsPacket[] {
  const out: OpusTsPacket[] = [];
  let at = 0;
  while (at < payload.length) {
    if (payload.length - at < CONTROL_HEADER_FIXED_BYTES + 1) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, 'Opus in TS: control header cut short');
    }
    if (payload[at] !== CONTROL_PREFIX_BYTE || (payload[at + 1]! & CONTROL_PREFIX_MASK) !== CONTROL_PREFIX_MASK) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, 'Opus in TS: no control header prefix 0x3FF');
    }
    const flags = payload[at + 1]!;
    at += CONTROL_HEADER_FIXED_BYTES;
    let size = 0;
    for (;;) {
      if (at >= payload.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'Opus in TS: au_size cut short');
      const b = payload[at++]!;
      size += b;
      if (b !== AU_SIZE_CONTINUE) break;
      if (size > MAX_OPUS_PACKET_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `Opus in TS: au_size over ${size}`);
    }
    const readTrim = (present: boolean): number => {
      if (!present) return 0;
      if (at + 2 > payload.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'Opus in TS: trim cut short');
      const value = readUint16BE(payload, at);
      at += 2;
      return value;
    };
    const startTrimSamples = readTrim((flags & Flag.StartTrim) !== 0);
    const endTrimSamples = readTrim((flags & Flag.EndTrim) !== 0);
    if (flags & Flag.ControlExtension) {
      if (at >= payload.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'Opus in TS: extension length cut short');
      at += 1 + payload[at]!;
    }
    if (size === 0 || at + size > payload.length) {
      throw new ProtocolError(ProtocolErrorCode.Truncated, `Opus in TS: ${size}-byte packet past the PES end`);
    }
    out.push({ data: payload.subarray(at, at + size), startTrimSamples, endTrimSamples });
    at += size;
  }
  return out;
}

/** Samples at 48 kHz of one frame for each TOC config (RFC 6716 §3.1, Table 2): SILK, Hybrid, CELT. */
function frameSamples48k(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]!;
  if (config < 16) return [480, 960][config & 1]!;
  return [120, 240, 480, 960][config & 3]!;
}

/** The duration of one Opus packet in 48 kHz samples (RFC 6716 §3.1-3.2), or 0 when the TOC cannot say. */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length < 1) return 0;
  const toc = packet[0]!;
  const perFrame = frameSamples48k(toc >> 3);
  const code = toc & 3;
  if (code === 0) return perFrame;
  if (code !== 3) return 2 * perFrame;
  if (packet.length < 2) return 0;
  return (packet[1]! & 0x3f) * perFrame;
}

// The Opus identification header "OpusHead" (RFC 7845 §5.1), the decoder configuration a Track carries for Opus.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

const OPUS_HEAD_BYTES = 19;
const MAGIC = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64]; // "OpusHead"
export const OPUS_SAMPLE_RATE_HZ = 48_000;

/** Channel mapping family 0 (mono or stereo); pre-skip and gain are unknown from RTP and left 0. */
export function encodeOpusHead(channels: 1 | 2, inputSampleRateHz = OPUS_SAMPLE_RATE_HZ, preSkipSamples = 0): Uint8Array {
  const out = new Uint8Array(OPUS_HEAD_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out[8] = 1; // version
  out[9] = channels;
  view.setUint16(10, preSkipSamples, true);
  view.setUint32(12, inputSampleRateHz, true);
  view.setInt16(16, 0, true); // output gain
  out[18] = 0; // mapping family
  return out;
}

export type OpusHead = Readonly<{ channels: number; preSkipSamples: number; inputSampleRateHz: number; mappingFamily: number }>;

/** Reads the fields of an OpusHead that muxers need; throws ProtocolError when it is not one. */
export function parseOpusHead(config: Uint8Array): OpusHead {
  if (config.length < OPUS_HEAD_BYTES) throw new ProtocolError(ProtocolErrorCode.Truncated, `OpusHead: ${config.length} bytes`);
  if (!MAGIC.every((b, i) => config[i] === b)) throw new ProtocolError(ProtocolErrorCode.Malformed, 'OpusHead: no magic');
  const view = new DataView(config.buffer, config.byteOffset, config.byteLength);
  return {
    channels: config[9]!,
    preSkipSamples: view.getUint16(10, true),
    inputSampleRateHz: view.getUint32(12, true),
    mappingFamily: config[18]!,
  };
}

// AAC helpers: AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1, GASpecificConfig §4.4.1, PCE §4.4.1.1) and the
// 7-byte ADTS header (ISO/IEC 14496-3 §1.A.2.2) that MPEG-TS carriage of AAC needs.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { BitReader } from './bit-reader.ts';

export const AacObjectType = { Main: 1, Lc: 2, Ssr: 3, Ltp: 4, Sbr: 5, Ps: 29, Escape: 31 } as const;
export type AacObjectType = (typeof AacObjectType)[keyof typeof AacObjectType];

export const AAC_SAMPLE_RATES_HZ = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
] as const;
const EXPLICIT_RATE_INDEX = 15;
/** channelConfiguration 0..15 to channel count (0 = given by a program config element). */
const CHANNELS_BY_CONFIG = [0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0] as const;
/** GA object types whose GASpecificConfig can carry a program_config_element. */
const GA_OBJECT_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

export type AudioSpecificConfig = {
  /** audioObjectType as signalled first (2 = AAC LC; 5 = SBR and 29 = PS when HE-AAC is signalled explicitly) */
  objectType: number;
  /** the core codec's object type: equals objectType, or the type after the SBR/PS extension header */
  coreObjectType: number;
  /** samplingFrequencyIndex, or 15 when the rate is explicit */
  samplingFrequencyIndex: number;
  /** the core sampling rate */
  sampleRateHz: number;
  /** the output rate when SBR is signalled explicitly */
  extensionSampleRateHz?: number;
  channelConfiguration: number;
  /** from channelConfiguration, or counted from the program config element when it is 0 (0 if unknown) */
  channels: number;
};

function readObjectType(r: BitReader): number {
  const type = r.readBits(5);
  return type === AacObjectType.Escape ? 32 + r.readBits(6) : type;
}

function readSampleRate(r: BitReader): { index: number; hz: number } {
  const index = r.readBits(4);
  if (index === EXPLICIT_RATE_INDEX) return { index, hz: r.readBits(24) };
  const hz = AAC_SAMPLE_RATES_HZ[index];
  if (hz === undefined) throw new ProtocolError(ProtocolErrorCode.Malformed, `AudioSpecificConfig: frequency index ${index}`);
  return { index, hz };
}

export function parseAudioSpecificConfig(asc: Uint8Array): AudioSpecificConfig {
  const r = new BitReader(asc, 'AudioSpecificConfig');
  const objectType = readObjectType(r);
  if (objectType === 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'AudioSpecificConfig: object type 0');
  const rate = readSampleRate(r);
  const channelConfiguration = r.readBits(4);
  const config: AudioSpecificConfig = {
    objectType,
    coreObjectType: objectType,
    samplingFrequencyIndex: rate.index,
    sampleRateHz: rate.hz,
    channelConfiguration,
    channels: CHANNELS_BY_CONFIG[channelConfiguration] ?? 0,
  };
  if (objectType === AacObjectType.Sbr || objectType === AacObjectType.Ps) {
    config.extensionSampleRateHz = readSampleRate(r).hz;
    config.coreObjectType = readObjectType(r);
  }
  if (channelConfiguration === 0 && GA_OBJECT_TYPES.has(config.coreObjectType)) {
    try {
      config.channels = countPceChannels(r, config.coreObjectType);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
  }
  return config;
}

/** Skips the rest of GASpecificConfig up to the program_config_element and counts its channels. */
function countPceChannels(r: BitReader, coreObjectType: number): number {
  r.skipBits(1); // frameLengthFlag
  if (r.readFlag()) r.skipBits(14); // dependsOnCoreCoder -> coreCoderDelay
  r.skipBits(1); // extensionFlag
  if (coreObjectType === 6 || coreObjectType === 20) r.skipBits(3); // layerNr
  r.skipBits(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = r.readBits(4);
  const side = r.readBits(4);
  const back = r.readBits(4);
  const lfe = r.readBits(2);
  r.skipBits(3 + 4); // num_assoc_data_elements, num_valid_cc_elements
  if (r.readFlag()) r.skipBits(4); // mono_mixdown
  if (r.readFlag()) r.skipBits(4); // stereo_mixdown
  if (r.readFlag()) r.skipBits(3); // matrix_mixdown
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.readFlag() ? 2 : 1; // is_cpe
    r.skipBits(4); // element tag
  }
  return channels;
}

/** RFC 6381 codec string, e.g. "mp4a.40.2". */
export function aacCodecString(config: Pick<AudioSpecificConfig, 'objectType'>): string {
  return `mp4a.40.${config.objectType}`;
}

export const ADTS_HEADER_BYTES = 7;
const MAX_ADTS_FRAME_BYTES = 0x1fff;

/** A 7-byte ADTS header (no CRC) for one raw AAC frame of `payloadSizeBytes`. HE-AAC uses implicit SBR signalling. */
export function encodeAdtsHeader(config: AudioSpecificConfig, payloadSizeBytes: number): Uint8Array {
  const profile = config.coreObjectType - 1;
  if (profile < 0 || profile > 3) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `ADTS: object type ${config.coreObjectType}`);
  }
  if (config.samplingFrequencyIndex === EXPLICIT_RATE_INDEX || config.channelConfiguration > 7) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, 'ADTS: explicit sample rate or channel configuration');
  }
  const frameLength = payloadSizeBytes + ADTS_HEADER_BYTES;
  if (frameLength > MAX_ADTS_FRAME_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, 'ADTS: frame too long');
  const out = new Uint8Array(ADTS_HEADER_BYTES);
  out[0] = 0xff;
  out[1] = 0xf1; // syncword, MPEG-4, layer 0, protection_absent
  out[2] = (profile << 6) | (config.samplingFrequencyIndex << 2) | (config.channelConfiguration >> 2);
  out[3] = ((config.channelConfiguration & 3) << 6) | (frameLength >> 11);
  out[4] = (frameLength >> 3) & 0xff;
  out[5] = ((frameLength & 7) << 5) | 0x1f; // buffer fullness 0x7ff (VBR)
  out[6] = 0xfc; // buffer fullness low bits, one raw data block
  return out;
}

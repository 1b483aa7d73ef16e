// Audio sample entry for fragmented MP4: AudioSampleEntry 'mp4a' (ISO/IEC 14496-12 §12.2.3) with 'esds'
// (ISO/IEC 14496-14 §5.6): ES_Descriptor, DecoderConfigDescriptor and DecoderSpecificInfo of ISO/IEC 14496-1 §7.2.6;
// or 'Opus' with 'dOps' (Encapsulation of Opus in ISOBMFF §4.3), from the track's OpusHead (RFC 7845 §5.1).
import { parseAudioSpecificConfig } from '../media/aac.ts';
import { AudioCodec, type Track } from '../media/types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { BoxType, FIXED_16_16_ONE } from './mp4-box-types.ts';
import type { Mp4Writer } from './mp4-writer.ts';

export type AudioSampleEntry =
  | {
      kind: 'audio';
      format: 'mp4a';
      /** AudioSpecificConfig, carried as the DecoderSpecificInfo */
      asc: Uint8Array;
      channels: number;
      /** output sampling rate (the SBR rate when HE-AAC signals it explicitly) */
      sampleRateHz: number;
    }
  | {
      kind: 'audio';
      format: 'opus';
      channels: number;
      preSkipSamples: number;
      inputSampleRateHz: number;
      outputGain: number;
    };

const OPUS_HEAD_BYTES = 19;
const OPUS_SAMPLE_ENTRY_RATE_HZ = 48_000;

/** 14496-1 §7.2.2.1 class tags. */
export const DescriptorTag = { EsDescriptor: 0x03, DecoderConfig: 0x04, DecoderSpecificInfo: 0x05, SlConfig: 0x06 } as const;
/** 14496-1 §7.2.6.6.2 objectTypeIndication: Audio ISO/IEC 14496-3. */
export const OBJECT_TYPE_AAC = 0x40;
/** 14496-1 §7.2.6.6.2 streamType: AudioStream. */
export const STREAM_TYPE_AUDIO = 0x05;
/** the reserved bit after streamType and upStream is 1 */
const DECODER_CONFIG_RESERVED_BIT = 0x01;
/** SLConfigDescriptor predefined = 2: reserved for use in MP4 files (14496-14 §3.1.2). */
const SL_PREDEFINED_MP4 = 0x02;
/** The ES_ID stored in a file is 0 (14496-14 §3.1.2). */
const STORED_ES_ID = 0;
const DATA_REFERENCE_INDEX = 1;
const SAMPLE_SIZE_BITS = 16;
const DEFAULT_CHANNELS = 2;
const MAX_16_16_RATE = 0xffff;
/** ES_ID(16), flags(8) */
const ES_DESCRIPTOR_FIXED_BYTES = 3;
/** objectTypeIndication(8), streamType(6) upStream(1) reserved(1), bufferSizeDB(24), maxBitrate(32), avgBitrate(32) */
const DECODER_CONFIG_FIXED_BYTES = 13;
const SL_CONFIG_PAYLOAD_BYTES = 1;

export function describeAudioEntry(track: Track): AudioSampleEntry {
  if (track.codec === AudioCodec.Opus) return describeOpusEntry(track.config);
  if (track.codec !== AudioCodec.AAC) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `fMP4: audio codec ${track.codec}`);
  }
  const asc = parseAudioSpecificConfig(track.config);
  return {
    kind: 'audio',
    format: 'mp4a',
    asc: track.config,
    channels: asc.channels > 0 ? asc.channels : DEFAULT_CHANNELS,
    sampleRateHz: asc.extensionSampleRateHz ?? asc.sampleRateHz,
  };
}

/** Bytes of an expandable sizeOfInstance field (14496-1 §8.3.3): 7 bits per byte. */
function lengthFieldBytes(payloadBytes: number): number {
  if (payloadBytes < 0x80) return 1;
  if (payloadBytes < 0x4000) return 2;
  if (payloadBytes < 0x200000) return 3;
  if (payloadBytes < 0x10000000) return 4;
  throw new ProtocolError(ProtocolErrorCode.TooLarge, `MPEG-4 descriptor of ${payloadBytes} bytes`);
}

function descriptorBytes(payloadBytes: number): number {
  return 1 + lengthFieldBytes(payloadBytes) + payloadBytes;
}

function writeDescriptorHeader(w: Mp4Writer, tag: number, payloadBytes: number): void {
  w.u8(tag);
  const n = lengthFieldBytes(payloadBytes);
  for (let i = n - 1; i >= 0; i--) w.u8(((payloadBytes >>> (7 * i)) & 0x7f) | (i > 0 ? 0x80 : 0));
}

/** OpusHead (little-endian) to the dOps fields; only channel mapping family 0 (mono, stereo) is carried. */
function describeOpusEntry(head: Uint8Array): AudioSampleEntry {
  if (head.length < OPUS_HEAD_BYTES || new TextDecoder().decode(head.subarray(0, 8)) !== 'OpusHead') {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'fMP4: Opus track without an OpusHead');
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const channels = head[9]!;
  if (head[18] !== 0 || channels < 1 || channels > 2) throw new ProtocolError(ProtocolErrorCode.Unsupported, `fMP4: Opus channel mapping ${head[18]} with ${channels} channels`);
  return { kind: 'audio', format: 'opus', channels, preSkipSamples: view.getUint16(10, true), inputSampleRateHz: view.getUint32(12, true), outputGain: view.getInt16(16, true) };
}

export function writeAudioSampleEntry(w: Mp4Writer, entry: AudioSampleEntry): void {
  if (entry.format === 'opus') {
    w.box(BoxType.Opus, () => {
      writeAudioSampleEntryFields(w, entry.channels, OPUS_SAMPLE_ENTRY_RATE_HZ);
      w.box(BoxType.DOps, () => {
        w.u8(0); // Version
        w.u8(entry.channels);
        w.u16(entry.preSkipSamples);
        w.u32(entry.inputSampleRateHz);
        w.u16(entry.outputGain & 0xffff);
        w.u8(0); // ChannelMappingFamily
      });
    });
    return;
  }
  w.box(BoxType.Mp4a, () => {
    w.zeros(6); // SampleEntry reserved
    w.u16(DATA_REFERENCE_INDEX);
    w.zeros(8); // reserved[2]
    w.u16(entry.channels);
    w.u16(SAMPLE_SIZE_BITS);
    w.zeros(4); // pre_defined, reserved
    // 16.16 samplerate; rates above 65535 do not fit and are written as 0 (the ASC carries the real one).
    w.u32(entry.sampleRateHz <= MAX_16_16_RATE ? entry.sampleRateHz * FIXED_16_16_ONE : 0);
    w.fullBox(BoxType.Esds, 0, 0, () => writeEsDescriptor(w, entry.asc));
  });
}

function writeAudioSampleEntryFields(w: Mp4Writer, channels: number, sampleRateHz: number): void {
  w.zeros(6); // SampleEntry reserved
  w.u16(DATA_REFERENCE_INDEX);
  w.zeros(8); // reserved[2]
  w.u16(channels);
  w.u16(SAMPLE_SIZE_BITS);
  w.zeros(4); // pre_defined, reserved
  w.u32(sampleRateHz * FIXED_16_16_ONE);
}

function writeEsDescriptor(w: Mp4Writer, asc: Uint8Array): void {
  const specificInfo = asc.length;
  const decoderConfig = DECODER_CONFIG_FIXED_BYTES + descriptorBytes(specificInfo);
  const esDescriptor = ES_DESCRIPTOR_FIXED_BYTES + descriptorBytes(decoderConfig) + descriptorBytes(SL_CONFIG_PAYLOAD_BYTES);

  writeDescriptorHeader(w, DescriptorTag.EsDescriptor, esDescriptor);
  w.u16(STORED_ES_ID);
  w.u8(0); // streamDependenceFlag, URL_Flag, OCRstreamFlag, streamPriority

  writeDescriptorHeader(w, DescriptorTag.DecoderConfig, decoderConfig);
  w.u8(OBJECT_TYPE_AAC);
  w.u8((STREAM_TYPE_AUDIO << 2) | DECODER_CONFIG_RESERVED_BIT); // upStream 0
  w.u24(0); // bufferSizeDB unknown
  w.u32(0); // maxBitrate unknown
  w.u32(0); // avgBitrate unknown (variable)

  writeDescriptorHeader(w, DescriptorTag.DecoderSpecificInfo, specificInfo);
  w.bytes(asc);

  writeDescriptorHeader(w, DescriptorTag.SlConfig, SL_CONFIG_PAYLOAD_BYTES);
  w.u8(SL_PREDEFINED_MP4);
}

// MPEG-TS wire numbers for the TS muxer (ISO/IEC 13818-1 §2.4.3.2-2.4.3.5 transport packet and adaptation field,
// §2.4.3.7 PES stream_id, §2.4.4 PSI table_id and Table 2-34 stream_type; RFC 8216 §3.2 for HLS).

export const TS_PACKET_BYTES = 188;
export const TS_HEADER_BYTES = 4;
export const TS_PAYLOAD_BYTES = TS_PACKET_BYTES - TS_HEADER_BYTES;
export const TS_SYNC_BYTE = 0x47;
/** byte 1 of the packet header: payload_unit_start_indicator */
export const TS_PAYLOAD_UNIT_START = 0x40;
/** byte 3 of the packet header: adaptation_field_control in bits 5-4 */
export const AdaptationFieldControl = { PayloadOnly: 0x10, AdaptationAndPayload: 0x30 } as const;
export type AdaptationFieldControl = (typeof AdaptationFieldControl)[keyof typeof AdaptationFieldControl];
/** adaptation field flags byte (§2.4.3.4) */
export const AdaptationFlag = { Discontinuity: 0x80, RandomAccess: 0x40, Pcr: 0x10 } as const;
export type AdaptationFlag = (typeof AdaptationFlag)[keyof typeof AdaptationFlag];
export const PCR_BYTES = 6;
export const STUFFING_BYTE = 0xff;
export const CONTINUITY_COUNTER_MODULO = 16;

export const TsPid = { Pat: 0x0000, Pmt: 0x1000, Video: 0x0100, Audio: 0x0101 } as const;
export type TsPid = (typeof TsPid)[keyof typeof TsPid];

export const TsStreamType = {
  /** ISO/IEC 11172-3 audio (MPEG-1 layer 1-3) */
  Mpeg1Audio: 0x03,
  /** ISO/IEC 13818-3 audio (MPEG-2 half sample rates) */
  Mpeg2Audio: 0x04,
  /** ISO/IEC 13818-7 AAC with ADTS transport syntax */
  AacAdts: 0x0f,
  /** PES packets containing private data: Opus, marked by its registration descriptor (ts-opus.ts) */
  PrivateData: 0x06,
  H264: 0x1b,
  H265: 0x24,
} as const;
export type TsStreamType = (typeof TsStreamType)[keyof typeof TsStreamType];

export const TableId = { Pat: 0x00, Pmt: 0x02 } as const;
export type TableId = (typeof TableId)[keyof typeof TableId];
/** registration_descriptor (§2.6.8) tag; ffmpeg marks HEVC streams with format_identifier "HEVC" */
export const REGISTRATION_DESCRIPTOR_TAG = 0x05;
export const TRANSPORT_STREAM_ID = 1;
export const PROGRAM_NUMBER = 1;

export const PesStreamId = { Audio: 0xc0, Video: 0xe0, PrivateStream1: 0xbd } as const;
export type PesStreamId = (typeof PesStreamId)[keyof typeof PesStreamId];

/** PTS/DTS/PCR base are 33-bit counts of a 90 kHz clock. */
/** The PES timestamp clock: the engine's media clock (media/clock.ts). */
export { MEDIA_TIMESCALE as MPEG_CLOCK_HZ } from '../media/clock.ts';
export const TIMESTAMP_MODULO = 2 ** 33;

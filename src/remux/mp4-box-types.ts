// ISO BMFF wire values this muxer writes: box four-character codes, brands, handler types and the tkhd/tfhd/trun
// flag and sample_flags bits (ISO/IEC 14496-12 §4.2, §8.3.2, §8.4.3, §8.8.7, §8.8.8, §8.8.3.1).

export const BoxType = {
  Ftyp: 'ftyp',
  Moov: 'moov',
  Mvhd: 'mvhd',
  Trak: 'trak',
  Tkhd: 'tkhd',
  Mdia: 'mdia',
  Mdhd: 'mdhd',
  Hdlr: 'hdlr',
  Minf: 'minf',
  Vmhd: 'vmhd',
  Smhd: 'smhd',
  Dinf: 'dinf',
  Dref: 'dref',
  Url: 'url ',
  Stbl: 'stbl',
  Stsd: 'stsd',
  Stts: 'stts',
  Stsc: 'stsc',
  Stsz: 'stsz',
  Stco: 'stco',
  Co64: 'co64',
  Stss: 'stss',
  Ctts: 'ctts',
  Mvex: 'mvex',
  Trex: 'trex',
  Moof: 'moof',
  Mfhd: 'mfhd',
  Traf: 'traf',
  Tfhd: 'tfhd',
  Tfdt: 'tfdt',
  Trun: 'trun',
  Mdat: 'mdat',
  Avc1: 'avc1',
  AvcC: 'avcC',
  Hvc1: 'hvc1',
  HvcC: 'hvcC',
  Mp4a: 'mp4a',
  Esds: 'esds',
  Opus: 'Opus',
  DOps: 'dOps',
  Pasp: 'pasp',
} as const;
export type BoxType = (typeof BoxType)[keyof typeof BoxType];

/** ftyp brands: ISO BMFF 6th edition structure (tfdt/trun version 1) and the CMAF structural brand (23000-19 §7.2). */
export const Brand = { Iso6: 'iso6', Cmfc: 'cmfc', Isom: 'isom', Mp41: 'mp41' } as const;
export type Brand = (typeof Brand)[keyof typeof Brand];

/** hdlr handler_type (§8.4.3.3). */
export const HandlerType = { Video: 'vide', Audio: 'soun' } as const;
export type HandlerType = (typeof HandlerType)[keyof typeof HandlerType];

/** tkhd flags (§8.3.2.3). */
export const TrackHeaderFlags = { Enabled: 0x000001, InMovie: 0x000002, InPreview: 0x000004 } as const;

/** 'url ' flags: the media data is in the same file (§8.7.2.3). */
export const DataEntryFlags = { SelfContained: 0x000001 } as const;

/** vmhd carries flags 1 for historical reasons (§12.1.2.2). */
export const VideoMediaHeaderFlags = { Required: 0x000001 } as const;

/** tfhd flags (§8.8.7.1). */
export const TfhdFlags = { DefaultBaseIsMoof: 0x020000 } as const;

/** trun flags (§8.8.8.1). */
export const TrunFlags = {
  DataOffsetPresent: 0x000001,
  FirstSampleFlagsPresent: 0x000004,
  SampleDurationPresent: 0x000100,
  SampleSizePresent: 0x000200,
  SampleFlagsPresent: 0x000400,
  SampleCompositionTimeOffsetsPresent: 0x000800,
} as const;

/**
 * sample_flags (§8.8.3.1): is_leading(2) sample_depends_on(2) sample_is_depended_on(2) sample_has_redundancy(2)
 * sample_padding_value(3) sample_is_non_sync_sample(1) sample_degradation_priority(16), after 4 reserved bits.
 */
export const SampleFlags = {
  /** depends_on = 2 (does not depend on others, an I picture) */
  Sync: 0x02000000,
  /** depends_on = 1 (depends on others) and is_non_sync_sample */
  NonSync: 0x01010000,
} as const;

/** mdhd language: packed ISO-639-2/T 'und' (§8.4.2.3). */
export const LANGUAGE_UNDETERMINED = 0x55c4;
/** The unity transformation matrix of mvhd and tkhd, 16.16 and 2.30 fixed point (§8.2.2.3). */
export const UNITY_MATRIX: readonly number[] = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
/** 1.0 in 16.16 (mvhd rate) and 8.8 (mvhd/tkhd volume) fixed point. */
export const FIXED_16_16_ONE = 0x00010000;
export const FIXED_8_8_ONE = 0x0100;

// Wire strings and value formatting of HLS Media Playlists: tag names, attribute names, decimal and date
// rendering (RFC 8216 sections 4.2 and 4.3; draft-pantos-hls-rfc8216bis sections 4.4.3.7-8, 4.4.4.9, 4.4.5.2-3).

// HlsTag and HlsAttribute are alike in shape to other string vocabularies (media/types.ts codecs, rtmp/net-streams.ts
// states): only the `as const` idiom is shared.

/** Tag prefixes as written on the wire; those taking a value include the ':'. */
export const HlsTag = {
  Header: '#EXTM3U',
  Version: '#EXT-X-VERSION:',
  IndependentSegments: '#EXT-X-INDEPENDENT-SEGMENTS',
  TargetDuration: '#EXT-X-TARGETDURATION:',
  ServerControl: '#EXT-X-SERVER-CONTROL:',
  PartInf: '#EXT-X-PART-INF:',
  MediaSequence: '#EXT-X-MEDIA-SEQUENCE:',
  DiscontinuitySequence: '#EXT-X-DISCONTINUITY-SEQUENCE:',
  Skip: '#EXT-X-SKIP:',
  Discontinuity: '#EXT-X-DISCONTINUITY',
  Map: '#EXT-X-MAP:',
  ProgramDateTime: '#EXT-X-PROGRAM-DATE-TIME:',
  Part: '#EXT-X-PART:',
  Inf: '#EXTINF:',
  PreloadHint: '#EXT-X-PRELOAD-HINT:',
  EndList: '#EXT-X-ENDLIST',
} as const;
export type HlsTag = (typeof HlsTag)[keyof typeof HlsTag];

export const HlsAttribute = {
  Uri: 'URI',
  Duration: 'DURATION',
  Independent: 'INDEPENDENT',
  PartTarget: 'PART-TARGET',
  CanSkipUntil: 'CAN-SKIP-UNTIL',
  HoldBack: 'HOLD-BACK',
  PartHoldBack: 'PART-HOLD-BACK',
  CanBlockReload: 'CAN-BLOCK-RELOAD',
  SkippedSegments: 'SKIPPED-SEGMENTS',
  Type: 'TYPE',
} as const;
export type HlsAttribute = (typeof HlsAttribute)[keyof typeof HlsAttribute];

export const HlsEnumValue = { Yes: 'YES', Part: 'PART' } as const;
export type HlsEnumValue = (typeof HlsEnumValue)[keyof typeof HlsEnumValue];

/**
 * Lowest EXT-X-VERSION each feature we emit needs (RFC 8216 section 7; rfc8216bis section 7):
 * decimal EXTINF durations need 3, EXT-X-MAP outside I-frame playlists needs 6, EXT-X-SKIP needs 9.
 * The LL-HLS tags (PART-INF, SERVER-CONTROL, PART, PRELOAD-HINT) carry no version requirement.
 */
export const HlsVersion = { DecimalDuration: 3, Map: 6, Skip: 9 } as const;
export type HlsVersion = (typeof HlsVersion)[keyof typeof HlsVersion];

/** Decimal places we print: milliseconds for segment-scale values, 10 µs for part-scale values. */
export const HlsDecimals = { Segment: 3, Part: 5 } as const;
export type HlsDecimals = (typeof HlsDecimals)[keyof typeof HlsDecimals];

/** `value` rounded to `decimals` places, as an integer count of those units (what the text will say). */
export function decimalUnits(value: number, decimals: HlsDecimals): number {
  return Math.round(value * 10 ** decimals);
}

/**
 * A non-negative decimal-floating-point (RFC 8216 section 4.2) rounded to `decimals` places, trailing
 * zeros trimmed but one fractional digit kept: 4 -> "4.0", 2.0021 -> "2.002", 0.333336 -> "0.33334".
 */
export function formatDecimal(value: number, decimals: HlsDecimals): string {
  const scale = 10 ** decimals;
  const units = decimalUnits(value, decimals);
  const whole = Math.floor(units / scale);
  const fraction = String(units - whole * scale).padStart(decimals, '0').replace(/0+$/, '');
  return `${whole}.${fraction === '' ? '0' : fraction}`;
}

/** EXT-X-PROGRAM-DATE-TIME value: ISO 8601 with milliseconds in UTC, e.g. 2024-05-01T12:00:00.000Z. */
export function formatDateTime(epochMs: number): string {
  return new Date(Math.round(epochMs)).toISOString();
}

/** An attribute-list (RFC 8216 section 4.2) from ordered name/value pairs; values are already formatted. */
export function attributeList(pairs: readonly (readonly [HlsAttribute, string])[]): string {
  return pairs.map(([name, value]) => `${name}=${value}`).join(',');
}

export function quoted(value: string): string {
  return `"${value}"`;
}

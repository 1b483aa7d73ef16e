// Renders one HLS Media Playlist (classic and Low-Latency, full or Playlist Delta Update) from an in-memory model
// (RFC 8216 sections 4.3 and 6.2.2; draft-pantos-hls-rfc8216bis sections 4.4.3.7-8, 4.4.4.9, 4.4.5.2-3, 6.2.5.1).
import {
  HlsAttribute,
  HlsDecimals,
  HlsEnumValue,
  HlsTag,
  HlsVersion,
  attributeList,
  decimalUnits,
  formatDateTime,
  formatDecimal,
  quoted,
} from './hls-playlist-format.ts';
import { minimumVersion, validateMediaPlaylist } from './hls-playlist-validate.ts';

export type { LowLatencyModel, MediaPlaylistModel, PlaylistPart, PlaylistSegment } from './hls-playlist-model.ts';
import type { LowLatencyModel, MediaPlaylistModel, PlaylistPart, PlaylistSegment } from './hls-playlist-model.ts';

export type RenderOptions = Readonly<{
  /** `_HLS_skip=YES`: render a Playlist Delta Update if the model advertises CAN-SKIP-UNTIL (else ignored). */
  skip?: boolean;
}>;

type SkipPlan = Readonly<{ count: number; firstProgramDateTimeMs: number | undefined }>;

/**
 * Program date of each segment as a client would derive it (RFC 8216 4.3.2.6): its own tag, or the previous
 * segment's date plus the previous duration, unless a discontinuity breaks the timeline.
 */
function derivedProgramDates(segments: readonly PlaylistSegment[]): (number | undefined)[] {
  const dates: (number | undefined)[] = [];
  let previous: PlaylistSegment | undefined;
  let previousDate: number | undefined;
  for (const segment of segments) {
    let date = segment.programDateTimeMs;
    if (date === undefined && previous !== undefined && previousDate !== undefined && !segment.discontinuity) {
      date = previousDate + previous.durationSec * 1000;
    }
    dates.push(date);
    previous = segment;
    previousDate = date;
  }
  return dates;
}

/**
 * Which oldest segments a delta update replaces (rfc8216bis 6.2.5.1): those ending at least CAN-SKIP-UNTIL
 * before the end of the last complete segment. When the playlist carries PROGRAM-DATE-TIME, the first kept
 * segment must carry one too, so fewer are skipped if its date cannot be derived across a discontinuity.
 */
function planSkip(segments: readonly PlaylistSegment[], canSkipUntilSec: number): SkipPlan {
  const boundaryUnits = decimalUnits(canSkipUntilSec, HlsDecimals.Segment);
  let tailUnits = 0;
  let count = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (tailUnits >= boundaryUnits) {
      count = i + 1;
      break;
    }
    tailUnits += decimalUnits(segments[i]!.durationSec, HlsDecimals.Segment);
  }
  if (!segments.some((s) => s.programDateTimeMs !== undefined)) return { count, firstProgramDateTimeMs: undefined };
  const dates = derivedProgramDates(segments);
  while (count > 0 && dates[count] === undefined) count--;
  return { count, firstProgramDateTimeMs: dates[count] };
}

function serverControl(ll: LowLatencyModel): string {
  const pairs: [HlsAttribute, string][] = [];
  if (ll.canSkipUntilSec !== undefined) {
    pairs.push([HlsAttribute.CanSkipUntil, formatDecimal(ll.canSkipUntilSec, HlsDecimals.Segment)]);
  }
  if (ll.holdBackSec !== undefined) pairs.push([HlsAttribute.HoldBack, formatDecimal(ll.holdBackSec, HlsDecimals.Segment)]);
  pairs.push([HlsAttribute.PartHoldBack, formatDecimal(ll.partHoldBackSec, HlsDecimals.Part)]);
  pairs.push([HlsAttribute.CanBlockReload, HlsEnumValue.Yes]);
  return HlsTag.ServerControl + attributeList(pairs);
}

function partLine(part: PlaylistPart): string {
  const pairs: [HlsAttribute, string][] = [
    [HlsAttribute.Duration, formatDecimal(part.durationSec, HlsDecimals.Part)],
    [HlsAttribute.Uri, quoted(part.uri)],
  ];
  if (part.independent) pairs.push([HlsAttribute.Independent, HlsEnumValue.Yes]);
  return HlsTag.Part + attributeList(pairs);
}

function mapLine(uri: string): string {
  return HlsTag.Map + attributeList([[HlsAttribute.Uri, quoted(uri)]]);
}

/** Media Playlist text, every line ending in '\n'. Throws an Error when the model breaks a spec MUST. */
export function renderMediaPlaylist(model: MediaPlaylistModel, options: RenderOptions = {}): string {
  validateMediaPlaylist(model);
  const { segments, lowLatency: ll } = model;
  const skip: SkipPlan =
    options.skip === true && ll?.canSkipUntilSec !== undefined
      ? planSkip(segments, ll.canSkipUntilSec)
      : { count: 0, firstProgramDateTimeMs: undefined };
  const baseVersion = model.version ?? minimumVersion(model);
  const version = skip.count > 0 ? Math.max(baseVersion, HlsVersion.Skip) : baseVersion;

  const lines: string[] = [HlsTag.Header, `${HlsTag.Version}${version}`];
  if (model.independentSegments === true) lines.push(HlsTag.IndependentSegments);
  lines.push(`${HlsTag.TargetDuration}${model.targetDurationSec}`);
  if (ll !== undefined) {
    lines.push(serverControl(ll));
    lines.push(HlsTag.PartInf + attributeList([[HlsAttribute.PartTarget, formatDecimal(ll.partTargetSec, HlsDecimals.Part)]]));
  }
  // In a delta update these still describe the oldest (skipped) segment: EXT-X-SKIP only stands in for segments.
  lines.push(`${HlsTag.MediaSequence}${segments[0]!.msn}`);
  lines.push(`${HlsTag.DiscontinuitySequence}${model.discontinuitySequence}`);
  if (skip.count > 0) lines.push(HlsTag.Skip + attributeList([[HlsAttribute.SkippedSegments, String(skip.count)]]));

  // The init segment in force where rendering starts: skipped segments may have changed it.
  let initUri = model.initUri;
  for (const skipped of segments.slice(0, skip.count)) initUri = skipped.initUri ?? initUri;
  let writtenInitUri: string | undefined;

  for (let i = skip.count; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.discontinuity) lines.push(HlsTag.Discontinuity);
    initUri = segment.initUri ?? initUri;
    // EXT-X-MAP on the first written segment, on every change, and again after a discontinuity.
    if (initUri !== undefined && (initUri !== writtenInitUri || segment.discontinuity)) {
      lines.push(mapLine(initUri));
      writtenInitUri = initUri;
    }
    const dateMs = i === skip.count && skip.count > 0 ? skip.firstProgramDateTimeMs : segment.programDateTimeMs;
    if (dateMs !== undefined) lines.push(HlsTag.ProgramDateTime + formatDateTime(dateMs));
    for (const part of segment.parts ?? []) lines.push(partLine(part));
    lines.push(`${HlsTag.Inf}${formatDecimal(segment.durationSec, HlsDecimals.Segment)},`);
    lines.push(segment.uri);
  }

  if (ll !== undefined) {
    if (ll.pendingParts.length > 0) {
      if (ll.pendingDiscontinuity === true) lines.push(HlsTag.Discontinuity);
      const pendingInitUri = ll.pendingInitUri ?? initUri;
      if (pendingInitUri !== undefined && (pendingInitUri !== writtenInitUri || ll.pendingDiscontinuity === true)) {
        lines.push(mapLine(pendingInitUri));
      }
      for (const part of ll.pendingParts) lines.push(partLine(part));
    }
    if (ll.preloadHint !== undefined) {
      lines.push(
        HlsTag.PreloadHint +
          attributeList([
            [HlsAttribute.Type, HlsEnumValue.Part],
            [HlsAttribute.Uri, quoted(ll.preloadHint.uri)],
          ]),
      );
    }
  }
  if (model.ended) lines.push(HlsTag.EndList);
  return `${lines.join('\n')}\n`;
}

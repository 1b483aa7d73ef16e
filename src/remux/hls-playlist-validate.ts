// Checks a MediaPlaylistModel against the MUSTs of RFC 8216 section 4.3.3 / 6.2.1 and draft-pantos-hls-rfc8216bis
// sections 4.4.3.7-8 and 4.4.4.9 before rendering; a bad model is a programming error and throws a plain Error.
import type { MediaPlaylistModel, PlaylistPart, PlaylistSegment } from './hls-playlist-model.ts';
import { HlsDecimals, HlsVersion, decimalUnits, formatDecimal } from './hls-playlist-format.ts';

/** Largest epoch ms a JavaScript Date can hold (ECMA-262 TimeClip). */
const MAX_EPOCH_MS = 8.64e15;
/** rfc8216bis 4.4.3.8: HOLD-BACK >= 3 x TARGETDURATION, CAN-SKIP-UNTIL >= 6 x TARGETDURATION. */
const MIN_HOLD_BACK_TARGETS = 3;
const MIN_SKIP_BOUNDARY_TARGETS = 6;
/** rfc8216bis 4.4.3.8: PART-HOLD-BACK MUST be >= 2 x PART-TARGET (and SHOULD be >= 3 x). */
const MIN_PART_HOLD_BACK_PARTS = 2;
/** Room for float noise when comparing products such as 3 x 0.2. */
const EPSILON = 1e-9;

const NOT_IN_URI = /[\s\u0000-\u001f\u007f-\u009f]/;

function fail(message: string): never {
  throw new Error(`HLS media playlist: ${message}`);
}

function requireInteger(value: number, min: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min) fail(`${what} must be an integer >= ${min}, got ${value}`);
}

function requirePositive(value: number, what: string): void {
  if (!Number.isFinite(value) || value <= 0) fail(`${what} must be a positive number of seconds, got ${value}`);
}

/** A URI for a line of its own (segment) or for a quoted-string attribute (MAP, PART, PRELOAD-HINT). */
function requireUri(uri: string, what: string, inQuotes: boolean): void {
  if (uri.length === 0) fail(`${what} URI is empty`);
  if (NOT_IN_URI.test(uri)) fail(`${what} URI ${JSON.stringify(uri)} has whitespace or control characters`);
  if (inQuotes && uri.includes('"')) fail(`${what} URI ${JSON.stringify(uri)} contains a double quote`);
  if (!inQuotes && uri.startsWith('#')) fail(`${what} URI ${JSON.stringify(uri)} would read as a tag`);
}

function checkPart(part: PlaylistPart, what: string, partTargetSec: number | undefined): void {
  if (partTargetSec === undefined) fail(`${what}: EXT-X-PART needs lowLatency (EXT-X-PART-INF is required with parts)`);
  requireUri(part.uri, what, true);
  requirePositive(part.durationSec, `${what} duration`);
  if (decimalUnits(part.durationSec, HlsDecimals.Part) > decimalUnits(partTargetSec, HlsDecimals.Part)) {
    fail(
      `${what} lasts ${formatDecimal(part.durationSec, HlsDecimals.Part)}s, over PART-TARGET ` +
        `${formatDecimal(partTargetSec, HlsDecimals.Part)}s (rfc8216bis 4.4.4.9; use the longest part as the target)`,
    );
  }
}

function checkSegment(segment: PlaylistSegment, index: number, model: MediaPlaylistModel): void {
  const what = `segment ${index} (msn ${segment.msn})`;
  requireInteger(segment.msn, 0, `${what} msn`);
  const first = model.segments[0];
  if (first !== undefined && segment.msn !== first.msn + index) {
    fail(`media sequence numbers must be consecutive: ${what} follows msn ${first.msn + index - 1}`);
  }
  requireUri(segment.uri, what, false);
  requirePositive(segment.durationSec, `${what} duration`);
  // RFC 8216 4.3.3.1: EXTINF rounded to the nearest integer MUST be <= TARGETDURATION (judge the printed value).
  const printedSec = decimalUnits(segment.durationSec, HlsDecimals.Segment) / 10 ** HlsDecimals.Segment;
  if (Math.round(printedSec) > model.targetDurationSec) {
    fail(`${what} lasts ${printedSec}s, which rounds above TARGETDURATION ${model.targetDurationSec}`);
  }
  const pdt = segment.programDateTimeMs;
  if (pdt !== undefined && !(Number.isFinite(pdt) && pdt >= 0 && pdt <= MAX_EPOCH_MS)) {
    fail(`${what} programDateTimeMs ${pdt} is not an epoch time in ms`);
  }
  if (segment.initUri !== undefined) requireUri(segment.initUri, `${what} EXT-X-MAP`, true);
  segment.parts?.forEach((part, i) => checkPart(part, `${what} part ${i}`, model.lowLatency?.partTargetSec));
}

function checkLowLatency(model: MediaPlaylistModel): void {
  const ll = model.lowLatency;
  if (ll === undefined) return;
  requirePositive(ll.partTargetSec, 'lowLatency.partTargetSec');
  requirePositive(ll.partHoldBackSec, 'lowLatency.partHoldBackSec');
  if (ll.partHoldBackSec < MIN_PART_HOLD_BACK_PARTS * ll.partTargetSec - EPSILON) {
    fail(`PART-HOLD-BACK ${ll.partHoldBackSec}s must be at least ${MIN_PART_HOLD_BACK_PARTS} x PART-TARGET ${ll.partTargetSec}s`);
  }
  if (ll.holdBackSec !== undefined) requirePositive(ll.holdBackSec, 'lowLatency.holdBackSec');
  if (ll.holdBackSec !== undefined && ll.holdBackSec < MIN_HOLD_BACK_TARGETS * model.targetDurationSec) {
    fail(`HOLD-BACK ${ll.holdBackSec}s must be at least ${MIN_HOLD_BACK_TARGETS} x TARGETDURATION ${model.targetDurationSec}`);
  }
  if (ll.canSkipUntilSec !== undefined) requirePositive(ll.canSkipUntilSec, 'lowLatency.canSkipUntilSec');
  if (ll.canSkipUntilSec !== undefined && ll.canSkipUntilSec < MIN_SKIP_BOUNDARY_TARGETS * model.targetDurationSec) {
    fail(
      `CAN-SKIP-UNTIL ${ll.canSkipUntilSec}s must be at least ${MIN_SKIP_BOUNDARY_TARGETS} x TARGETDURATION ${model.targetDurationSec}`,
    );
  }
  ll.pendingParts.forEach((part, i) => checkPart(part, `pending part ${i}`, ll.partTargetSec));
  if (ll.pendingInitUri !== undefined) {
    requireUri(ll.pendingInitUri, 'pending segment EXT-X-MAP', true);
    if (!usesMap(model)) fail('EXT-X-MAP must cover every segment or none: pendingInitUri set but no segment has a map');
  }
  if (ll.preloadHint !== undefined) requireUri(ll.preloadHint.uri, 'EXT-X-PRELOAD-HINT', true);
  if (model.ended && (ll.pendingParts.length > 0 || ll.preloadHint !== undefined)) {
    fail('an ended playlist (EXT-X-ENDLIST) cannot have pending parts or a preload hint');
  }
}

function usesMap(model: MediaPlaylistModel): boolean {
  return model.initUri !== undefined || model.segments.some((s) => s.initUri !== undefined);
}

/** The lowest EXT-X-VERSION the full (non-delta) playlist needs; a delta update needs at least 9. */
export function minimumVersion(model: MediaPlaylistModel): number {
  return usesMap(model) ? HlsVersion.Map : HlsVersion.DecimalDuration;
}

export function validateMediaPlaylist(model: MediaPlaylistModel): void {
  requireInteger(model.targetDurationSec, 1, 'targetDurationSec');
  requireInteger(model.discontinuitySequence, 0, 'discontinuitySequence');
  const first = model.segments[0];
  if (first === undefined) fail('needs at least one complete segment (EXT-X-MEDIA-SEQUENCE comes from it)');
  if (model.initUri !== undefined) requireUri(model.initUri, 'EXT-X-MAP', true);
  else if (first.initUri === undefined && model.segments.some((s) => s.initUri !== undefined)) {
    fail('EXT-X-MAP must cover every segment or none: set initUri on the model or on the first segment');
  }
  model.segments.forEach((segment, i) => checkSegment(segment, i, model));
  checkLowLatency(model);
  if (model.version !== undefined) {
    requireInteger(model.version, 1, 'version');
    const needed = minimumVersion(model);
    if (model.version < needed) fail(`version ${model.version} is too low for this playlist, which needs ${needed}`);
  }
}

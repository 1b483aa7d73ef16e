// The in-memory model of one HLS Media Playlist that hls-playlist.ts renders and
// hls-playlist-validate.ts checks (RFC 8216 section 4.3; draft-pantos-hls-rfc8216bis 4.4).
export type PlaylistPart = Readonly<{ uri: string; durationSec: number; independent: boolean }>;

export type PlaylistSegment = Readonly<{
  /** Media sequence number. */
  msn: number;
  uri: string;
  durationSec: number;
  /** EXT-X-DISCONTINUITY before this segment. */
  discontinuity: boolean;
  /** Wall clock of the first sample (epoch ms) -> EXT-X-PROGRAM-DATE-TIME. */
  programDateTimeMs?: number;
  /** LL-HLS parts of this segment (only for the most recent segments); written before its EXTINF. */
  parts?: readonly PlaylistPart[];
  /** EXT-X-MAP for this and later segments when the init segment changes mid-window (overrides model.initUri). */
  initUri?: string;
}>;

export type LowLatencyModel = Readonly<{
  /** EXT-X-PART-INF:PART-TARGET; every part must last at most this long. */
  partTargetSec: number;
  /** SERVER-CONTROL PART-HOLD-BACK: MUST be >= 2 x, SHOULD be >= 3 x the part target. */
  partHoldBackSec: number;
  /** SERVER-CONTROL HOLD-BACK (>= 3 x target duration); absent means the default of 3 x target duration. */
  holdBackSec?: number;
  canBlockReload: true;
  /** SERVER-CONTROL CAN-SKIP-UNTIL (>= 6 x target duration); enables delta updates. */
  canSkipUntilSec?: number;
  /** Parts of the segment still being written (after the last complete segment). */
  pendingParts: readonly PlaylistPart[];
  /** The segment being written starts a discontinuity (written before its parts when it has some). */
  pendingDiscontinuity?: boolean;
  /** The segment being written uses a new init segment (written before its parts when it has some). */
  pendingInitUri?: string;
  /** EXT-X-PRELOAD-HINT:TYPE=PART. */
  preloadHint?: Readonly<{ uri: string }>;
}>;

export type MediaPlaylistModel = Readonly<{
  /** EXT-X-TARGETDURATION: every EXTINF rounded to the nearest integer must be <= this. */
  targetDurationSec: number;
  /** The sliding window, oldest first; msn consecutive; at least one segment. */
  segments: readonly PlaylistSegment[];
  /** EXT-X-DISCONTINUITY-SEQUENCE (of the oldest segment in the window). */
  discontinuitySequence: number;
  /** EXT-X-ENDLIST. */
  ended: boolean;
  /** EXT-X-MAP:URI (fMP4) of the oldest segment. */
  initUri?: string;
  /** EXT-X-VERSION; default the lowest correct one: 3 (TS), 6 (EXT-X-MAP), 9 in a delta update. */
  version?: number;
  /** EXT-X-INDEPENDENT-SEGMENTS: every segment starts with a keyframe and decodes on its own. */
  independentSegments?: boolean;
  lowLatency?: LowLatencyModel;
}>;

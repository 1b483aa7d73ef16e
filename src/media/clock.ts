// The one media clock of Weir: Track/MediaFrame timestamps inside the engine are ticks of
// 90 kHz, the MPEG system clock (ISO/IEC 13818-1 PTS/DTS), which MPEG-TS carries as is, fMP4
// uses as its track timescale, and RTP uses for video (RFC 3551).
export const MEDIA_TIMESCALE = 90_000;

/** Media clock ticks per millisecond (FLV and RTMP timestamps are milliseconds). */
export const TICKS_PER_MS = MEDIA_TIMESCALE / 1000;

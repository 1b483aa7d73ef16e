// Lining tracks up on one timeline with RTCP sender reports (RFC 3550 §6.4.1: an SR pairs an RTP timestamp with the
// sender's NTP wallclock, so two SSRCs of one sender can be synchronized, §5.1/§6.4.1 "lip sync").
import type { SenderReportClock } from './rtp-timestamp.ts';

/**
 * Ticks to add to a track whose media time 0 is `firstRtpTimestamp`, so that every track shares one zero:
 * `referenceUnixMs`, usually the earliest first-frame wallclock among the tracks. Undefined before this track's first SR.
 */
export function wallclockOffsetTicks(
  clock: SenderReportClock,
  firstRtpTimestamp: number,
  referenceUnixMs: number,
  timescale: number,
): number | undefined {
  const startMs = clock.unixMsAt(firstRtpTimestamp);
  if (startMs === undefined) return undefined;
  return Math.round(((startMs - referenceUnixMs) * timescale) / 1000);
}

/** The earliest first-frame wallclock among synced tracks (the reference for wallclockOffsetTicks). */
export function earliestStartUnixMs(tracks: ReadonlyArray<Readonly<{ clock: SenderReportClock; firstRtpTimestamp: number }>>): number | undefined {
  let earliest: number | undefined;
  for (const t of tracks) {
    const ms = t.clock.unixMsAt(t.firstRtpTimestamp);
    if (ms !== undefined && (earliest === undefined || ms < earliest)) earliest = ms;
  }
  return earliest;
}

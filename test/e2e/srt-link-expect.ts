// An SRT link's RTT has been measured: the estimate starts at 100 ms (the SRT default) and only an
// ACK/ACKACK exchange moves it. On loopback a measurement may be a few tens of microseconds, so
// "greater than zero" alone is a rounding question, not proof of a measurement.
import { expect } from 'bun:test';

const INITIAL_RTT_MS = 100;

export function expectMeasuredRtt(rttMs: number): void {
  expect(rttMs).toBeGreaterThan(0);
  expect(rttMs).toBeLessThan(INITIAL_RTT_MS);
}

// TSBPD clock drift tracking (draft-sharabayko-srt-01 §4.7 drift management: the receiver keeps its time base in
// step with the sender's clock; libsrt samples it on every ACKACK). The average offset between
// when a packet arrived and when the time base says it was sent is taken over a window of
// samples; past a threshold the time base moves by that average, so a sender whose clock runs
// slow or fast by some ppm neither eats the latency budget nor grows the buffer without end.
export class DriftTracer {
  private sumUs = 0;
  private count = 0;

  constructor(
    private readonly windowSamples = 1000,
    private readonly thresholdUs = 5000,
  ) {}

  /** One arrival-minus-expected offset; returns the correction to add to the time base (usually 0). */
  sample(offsetUs: number): number {
    this.sumUs += offsetUs;
    this.count++;
    if (this.count < this.windowSamples) return 0;
    const average = this.sumUs / this.count;
    this.sumUs = 0;
    this.count = 0;
    return Math.abs(average) > this.thresholdUs ? Math.round(average) : 0;
  }
}

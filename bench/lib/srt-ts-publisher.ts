// The SRT benchmark's own publisher: a TS file sent over an SrtCaller at real-time pace (see
// TsSchedule), recording when the chunk carrying each video frame's last byte was written, for
// the latency figure. It does not loop (a loop would send timestamps backwards): a run must fit
// in the file, which the benchmark checks.
import { SrtCaller } from './srt-caller.ts';
import { FrameSendTimes, type TsSchedule } from './ts-frames.ts';

const TICK_MS = 2;

export class SrtTsPublisher {
  readonly caller: SrtCaller;
  readonly sendTimes: FrameSendTimes;
  bytesSent = 0;
  maxLagMs = 0;
  ended = false;
  private next = 0;
  private startMs = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly schedule: TsSchedule, port: number, streamId: string, latencyMs: number) {
    this.caller = new SrtCaller({ port, streamId, latencyMs });
    this.sendTimes = new FrameSendTimes(schedule.tails);
  }

  async start(): Promise<void> {
    await this.caller.connect();
    this.startMs = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** ms of the file left to send */
  get remainingMs(): number {
    return this.schedule.durationMs - (performance.now() - this.startMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.caller.close();
  }

  private tick(): void {
    const elapsed = performance.now() - this.startMs;
    const chunks = this.schedule.chunks;
    while (this.next < chunks.length && chunks[this.next]!.dueMs <= elapsed) {
      const c = chunks[this.next++]!;
      this.caller.write(c.bytes);
      this.bytesSent += c.bytes.length;
      const now = performance.now();
      this.maxLagMs = Math.max(this.maxLagMs, now - this.startMs - c.dueMs);
      for (const f of c.framesEnding) this.sendTimes.sent(f, now);
    }
    // polled every tick: what was written goes out now (the send time above is what latency counts
    // from), and the connection's ACK/keepalive work is done
    this.caller.poll();
    if (this.next >= chunks.length) this.ended = true;
  }
}

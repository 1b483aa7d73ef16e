// Keeps each live stream's HLS output. By default a stream is muxed only while players ask for
// it (as MediaMTX does): the first playlist request starts the output from the stream's headers
// and current GOP, so it has a segment under way at once, and an output nobody asked anything
// of for `muxerCloseAfterMs` is stopped. A stream nobody watches as HLS then costs no muxing,
// which is most of what an unwatched stream costs (bench/RESULTS.md). With `alwaysRemux` every
// stream is muxed from its first packet, so the first player finds a full window and LL-HLS
// latency never starts cold. Either way an output stays for one window after its stream ends,
// so players can finish, and is then forgotten.
import type { LiveStream } from '../../hub/live-stream.ts';
import type { Logger } from '../../shared/logger.ts';
import { HlsOutput, type HlsOutputOptions } from './hls-output.ts';

export type HlsDemand = Readonly<{
  /** read when a stream goes live and at each sweep: mux every stream, or only those asked for */
  alwaysRemux: () => boolean;
  /** an on-demand output nobody asked anything of for this long is stopped */
  muxerCloseAfterMs: () => number;
}>;

/** how often idle on-demand outputs are looked for, as a share of the close-after time (bounds below) */
const SWEEP_SHARE = 0.25;
const SWEEP_MIN_MS = 250;
const SWEEP_MAX_MS = 15_000;

export class HlsRegistry {
  private readonly outputs = new Map<string, HlsOutput>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** on-demand outputs and when a player last asked anything of each */
  private readonly lastAskedMs = new Map<HlsOutput, number>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  /** outputs started because a player asked (on-demand starts) */
  demandStarts = 0;
  /** on-demand outputs stopped because nobody asked for them */
  idleStops = 0;

  constructor(
    /** read when an output starts: settings changes apply to outputs that start later */
    private readonly options: (stream: LiveStream) => HlsOutputOptions,
    private readonly log: Logger,
    private readonly demand: HlsDemand,
    private readonly now: () => number = () => performance.now(),
  ) {}

  find(path: string): HlsOutput | undefined {
    return this.outputs.get(path);
  }

  /** Outputs that are muxing or still serving their window. */
  get size(): number {
    return this.outputs.size;
  }

  /**
   * A stream got a publisher. Always-remux: make sure it has an output (one per life of the
   * stream). On demand: the first playlist request starts one (players of an earlier life of
   * the stream do so with their next poll).
   */
  attach(stream: LiveStream): void {
    const existing = this.outputs.get(stream.path);
    if (existing?.stream === stream) return;
    if (existing) this.stop(existing);
    if (this.demand.alwaysRemux()) this.start(stream, false);
  }

  /**
   * A player asked for a live stream's playlist: its output, started now (from the stream's
   * headers and current GOP) if it has none. Undefined when the stream's app has HLS off.
   */
  request(stream: LiveStream): HlsOutput | undefined {
    let output = this.outputs.get(stream.path);
    if (output?.stream !== stream) {
      if (output) this.stop(output);
      output = this.start(stream, true);
      if (output) this.demandStarts++;
    }
    this.touch(output);
    return output;
  }

  /** A player asked something of this output (a playlist, segment or part): it stays. */
  touch(output: HlsOutput | undefined): void {
    if (output && this.lastAskedMs.has(output)) this.lastAskedMs.set(output, this.now());
  }

  /** Forgets the outputs of an app's streams at once (the app was removed). */
  closeApp(app: string): void {
    for (const output of [...this.outputs.values()]) {
      if (output.stream.app === app) this.stop(output);
    }
  }

  closeAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const output of [...this.outputs.values()]) this.stop(output);
  }

  private start(stream: LiveStream, catchUp: boolean): HlsOutput | undefined {
    const options = this.options(stream);
    if (!options.classic && !options.lowLatency) return undefined;
    const output = new HlsOutput(stream, options, this.log.child({ stream: stream.path }));
    this.outputs.set(stream.path, output);
    if (catchUp) output.catchUp();
    stream.addReader(output);
    if (!this.demand.alwaysRemux()) {
      this.lastAskedMs.set(output, this.now());
      this.startSweeping();
    }
    output.onEnded(() => {
      // Ended: no more muxing to save, so only the window's own linger counts now.
      this.lastAskedMs.delete(output);
      if (this.lastAskedMs.size === 0) this.stopSweeping();
      const lingerMs = options.windowSegments * options.targetDurationMs;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.outputs.get(stream.path) === output) this.outputs.delete(stream.path);
        output.dispose();
      }, lingerMs);
      this.timers.add(timer);
    });
    return output;
  }

  private stop(output: HlsOutput): void {
    if (this.outputs.get(output.stream.path) === output) this.outputs.delete(output.stream.path);
    this.lastAskedMs.delete(output);
    output.stream.removeReader(output);
    output.dispose();
    if (this.lastAskedMs.size === 0) this.stopSweeping();
  }

  private startSweeping(): void {
    if (this.sweepTimer) return;
    const everyMs = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, this.demand.muxerCloseAfterMs() * SWEEP_SHARE));
    this.sweepTimer = setInterval(() => this.sweep(), everyMs);
    this.sweepTimer.unref?.();
  }

  private stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** Stops the on-demand outputs nobody asked anything of for muxerCloseAfterMs. */
  sweep(): void {
    if (this.demand.alwaysRemux()) return;
    const oldestKeptMs = this.now() - this.demand.muxerCloseAfterMs();
    for (const [output, askedMs] of [...this.lastAskedMs]) {
      if (askedMs > oldestKeptMs) continue;
      this.idleStops++;
      this.log.debug('HLS output stopped: no player asked for it', { stream: output.stream.path });
      this.stop(output);
    }
  }
}

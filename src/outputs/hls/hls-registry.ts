// Starts an HLS output when a stream goes live, so the first viewer finds segments ready and
// LL-HLS latency does not start with a cold muxer; keeps it for one window after the stream
// ends so players can finish; then forgets it.
import type { LiveStream } from '../../hub/live-stream.ts';
import type { Logger } from '../../shared/logger.ts';
import { HlsOutput, type HlsOutputOptions } from './hls-output.ts';

export class HlsRegistry {
  private readonly outputs = new Map<string, HlsOutput>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    /** read when a stream goes live: settings changes apply to streams that start later */
    private readonly options: (stream: LiveStream) => HlsOutputOptions,
    private readonly log: Logger,
  ) {}

  find(path: string): HlsOutput | undefined {
    return this.outputs.get(path);
  }

  /** A stream got a publisher: make sure it has an HLS output (one per life of the stream). */
  attach(stream: LiveStream): void {
    const existing = this.outputs.get(stream.path);
    if (existing?.stream === stream) return;
    existing?.dispose();
    const options = this.options(stream);
    if (!options.classic && !options.lowLatency) return;
    const output = new HlsOutput(stream, options, this.log.child({ stream: stream.path }));
    this.outputs.set(stream.path, output);
    stream.addReader(output);
    output.onEnded(() => {
      const lingerMs = options.windowSegments * options.targetDurationMs;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.outputs.get(stream.path) === output) this.outputs.delete(stream.path);
        output.dispose();
      }, lingerMs);
      this.timers.add(timer);
    });
  }

  /** Forgets the outputs of an app's streams at once (the app was removed). */
  closeApp(app: string): void {
    for (const [path, output] of this.outputs) {
      if (output.stream.app !== app) continue;
      this.outputs.delete(path);
      output.dispose();
    }
  }

  closeAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const output of this.outputs.values()) output.dispose();
    this.outputs.clear();
  }
}

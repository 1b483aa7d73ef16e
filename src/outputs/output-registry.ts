// Creates a format output for a stream on its first viewer and forgets it after its last.
import type { LiveStream } from '../hub/live-stream.ts';
import type { StreamRegistry } from '../hub/stream-registry.ts';
import { SerializedOutput, type MergeWindow, type PacketEncoder } from './serialized-output.ts';

export class OutputRegistry {
  private readonly outputs = new WeakMap<LiveStream, Map<string, SerializedOutput>>();

  constructor(
    private readonly streams: StreamRegistry,
    /** how long an output gathers packets into one shared batch (the engine's --merge-write-ms) */
    private readonly mergeWindowMs: MergeWindow = () => 0,
    /** the engine's total of bytes out, for what outputs write to viewers' transports themselves */
    private readonly engineBytesOut: { bytesOut: number } | null = null,
  ) {}

  /** `format` names the byte layout, e.g. 'flv' or 'rtmp:4096:1' (chunk size and message stream id). */
  obtain(stream: LiveStream, format: string, encode: PacketEncoder): SerializedOutput {
    let byFormat = this.outputs.get(stream);
    if (!byFormat) {
      byFormat = new Map();
      this.outputs.set(stream, byFormat);
    }
    let output = byFormat.get(format);
    if (!output) {
      output = new SerializedOutput(stream, encode, (done) => {
        if (byFormat.get(format) === done) byFormat.delete(format);
        this.streams.collect(stream);
      }, this.mergeWindowMs, this.engineBytesOut);
      byFormat.set(format, output);
    }
    return output;
  }

  countViewers(stream: LiveStream): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [format, output] of this.outputs.get(stream) ?? []) {
      const family = format.split(':')[0]!;
      counts[family] = (counts[family] ?? 0) + output.viewerCount;
    }
    return counts;
  }
}

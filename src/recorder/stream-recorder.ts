// Records one live stream: a hub reader that feeds the pure SegmentCutter and hands each
// completed segment to a bounded queue written by one async loop (durable-file.ts). The media
// path never waits on the disk: when the queue is full the new segment is dropped whole, logged
// and counted, and live viewers see nothing of it.
import { join } from 'node:path';
import type { LiveStream, StreamReader } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import type { RecordedSegment } from '../record/recording-index.ts';
import { type CompletedSegment, SegmentCutter } from '../record/segment-cutter.ts';
import { formatSegmentName, formatTempName } from '../record/segment-name.ts';
import type { RecordingSettings } from '../shared/config-protocol.ts';
import type { Logger } from '../shared/logger.ts';
import { writeFileDurably } from './durable-file.ts';

export type RecorderCounters = { segmentsWritten: number; segmentsDropped: number; bytesWritten: number };

export type StreamRecorderDeps = Readonly<{
  /** this process's token in temporary names (a restart removes a dead process's leftovers) */
  owner: string;
  log: Logger;
  now: () => number;
  /** whether the storage path is below the free-space floor now */
  isPaused: () => boolean;
  maxQueuedSegments: number;
  /** an open segment this big is closed without waiting for a keyframe */
  maxSegmentBytes: number;
  counters: RecorderCounters;
  /** a segment is on disk under its final name */
  onWritten: (segment: RecordedSegment) => void;
  /** the stream ended: the recorder may be forgotten once its queue is written */
  onEnded: () => void;
}>;

let tempSequence = 0;

export class StreamRecorder implements StreamReader {
  readonly dir: string;
  private readonly cutter: SegmentCutter;
  private readonly queue: CompletedSegment[] = [];
  private writing = false;
  private warnedUnsupported: string | null = null;
  private dropsLogged = 0;
  private failuresLogged = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly stream: LiveStream,
    readonly settings: RecordingSettings,
    private readonly deps: StreamRecorderDeps,
  ) {
    this.dir = join(settings.path, stream.app, stream.name);
    this.cutter = new SegmentCutter({
      format: settings.format,
      segmentDurationMs: settings.segmentDurationSec * 1000,
      maxSegmentBytes: deps.maxSegmentBytes,
    });
  }

  get queued(): number {
    return this.queue.length + (this.writing ? 1 : 0);
  }

  onPacket(packet: MediaPacket): void {
    this.cutter.setPaused(this.deps.isPaused());
    const completed = this.cutter.push(packet, this.deps.now());
    if (this.cutter.unsupported !== null && this.cutter.unsupported !== this.warnedUnsupported) {
      this.warnedUnsupported = this.cutter.unsupported;
      this.deps.log.warn('not recording this stream', { reason: this.cutter.unsupported });
    }
    for (const segment of completed) this.enqueue(segment);
  }

  onPublisherStart(): void {}

  onPublisherStop(): void {
    for (const segment of this.cutter.flush()) this.enqueue(segment);
  }

  onStreamEnd(): void {
    this.onPublisherStop();
    this.deps.onEnded();
  }

  /** Resolves once every queued segment is written (or failed). */
  idle(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(segment: CompletedSegment): void {
    if (this.deps.isPaused()) return;
    if (this.queue.length >= this.deps.maxQueuedSegments) {
      this.deps.counters.segmentsDropped++;
      // one line for the first drops, then one per hundred: a slow disk stays slow
      if (this.dropsLogged++ % 100 === 0) {
        this.deps.log.warn('recording segment dropped: the disk is not keeping up', {
          queued: this.queue.length,
          startMs: segment.startMs,
          dropped: this.dropsLogged,
        });
      }
      return;
    }
    this.queue.push(segment);
    if (!this.writing) void this.drain();
  }

  private async drain(): Promise<void> {
    this.writing = true;
    for (let segment = this.queue.shift(); segment; segment = this.queue.shift()) {
      const fileName = formatSegmentName(segment);
      try {
        await writeFileDurably(this.dir, formatTempName(this.deps.owner, ++tempSequence), fileName, segment.bytes);
        this.deps.counters.segmentsWritten++;
        this.deps.counters.bytesWritten += segment.bytes.byteLength;
        this.deps.onWritten({
          stream: this.stream.name,
          fileName,
          startMs: segment.startMs,
          durationMs: segment.durationMs,
          format: segment.format,
          sizeBytes: segment.bytes.byteLength,
        });
      } catch (err) {
        this.deps.counters.segmentsDropped++;
        // a full or read-only disk fails every segment: the first line, then one per hundred
        if (this.failuresLogged++ % 100 === 0) {
          this.deps.log.warn('recording segment could not be written', {
            file: join(this.dir, fileName),
            reason: (err as Error).message,
            failures: this.failuresLogged,
          });
        }
      }
    }
    this.writing = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

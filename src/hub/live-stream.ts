// One live stream: at most one publisher, N readers (format outputs), the latest headers
// and the current GOP so a late joiner starts on a keyframe. Knows no wire format.
import type { ParsedTag } from '../flv/classify-tag.ts';
import { FlvTagType } from '../flv/flv-tag-type.ts';
import type { MediaPacket, PacketType } from './media-packet.ts';
import { TimestampNormalizer } from './timestamp-normalizer.ts';

export interface PublisherHandle {
  readonly id: string;
  /** Ends the publisher's connection; called when a newer publisher takes the stream over. */
  kick(reason: string): void;
}

export interface StreamReader {
  onPacket(packet: MediaPacket): void;
  onPublisherStart(): void;
  onPublisherStop(): void;
  /** The stream is gone for good: close every viewer. */
  onStreamEnd(): void;
}

export type IngestPacket = Readonly<{
  type: PacketType;
  timestampMs: number;
  body: Uint8Array;
  header: boolean;
  keyframe: boolean;
}> &
  ParsedTag;

export interface GopLimits {
  maxPackets: number;
  maxBytes: number;
}

export interface LiveStreamHooks {
  /** the publisher's clock jumped and the timeline was rebased (the packet carries discontinuity) */
  onTimestampJump?(stream: LiveStream, packet: MediaPacket): void;
}

export type StreamCounters = {
  packetsIn: number;
  bytesIn: number;
  /** bytes the edges sent to this stream's viewers (all formats) */
  bytesOut: number;
  publishers: number;
  /** times the publisher's clock jumped (wrap at another width, reset, gap) and the timeline was rebased */
  timestampJumps: number;
};

export class LiveStream {
  publisher: PublisherHandle | null = null;
  publishedAtMs = 0;
  metadata: MediaPacket | null = null;
  videoHeader: MediaPacket | null = null;
  audioHeader: MediaPacket | null = null;
  /** packets since the latest random access point, the point itself first */
  gop: MediaPacket[] = [];
  /** the publisher has sent a coded frame: its headers are in */
  started = false;
  hasVideo = false;
  readonly counters: StreamCounters = { packetsIn: 0, bytesIn: 0, bytesOut: 0, publishers: 0, timestampJumps: 0 };
  private readonly readers = new Set<StreamReader>();
  private readonly normalizer = new TimestampNormalizer();
  private gopBytes = 0;
  private gopOverflowed = false;
  private startWaiters: Array<() => void> = [];

  constructor(
    readonly app: string,
    readonly name: string,
    private readonly gopLimits: GopLimits,
    private readonly hooks: LiveStreamHooks = {},
  ) {}

  get path(): string {
    return `${this.app}/${this.name}`;
  }

  get readerCount(): number {
    return this.readers.size;
  }

  attachPublisher(publisher: PublisherHandle, nowMs: number): void {
    this.publisher = publisher;
    this.publishedAtMs = nowMs;
    this.counters.publishers++;
    this.started = false;
    this.gop = [];
    this.gopBytes = 0;
    this.normalizer.startPublisher();
    for (const reader of this.readers) reader.onPublisherStart();
  }

  detachPublisher(): void {
    this.publisher = null;
    this.started = false;
    this.gop = [];
    this.gopBytes = 0;
    for (const reader of this.readers) reader.onPublisherStop();
  }

  addReader(reader: StreamReader): void {
    this.readers.add(reader);
  }

  removeReader(reader: StreamReader): void {
    this.readers.delete(reader);
  }

  hasReader(reader: StreamReader): boolean {
    return this.readers.has(reader);
  }

  /** Resolves once a coded frame has arrived (so headers are known), at once if it already has. */
  whenStarted(): Promise<void> {
    if (this.started) return Promise.resolve();
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  ingest(input: IngestPacket): MediaPacket {
    const type = input.type;
    const isVideo = type === FlvTagType.Video;
    if (isVideo) this.hasVideo = true;
    // onMetaData goes out at time 0, as peers send it: ffmpeg's FLV reader turns a script tag
    // with a later timestamp into an extra data stream.
    const isMetadata = input.header && type === FlvTagType.Script;
    const time = isMetadata
      ? { timestampMs: 0, discontinuity: false }
      : input.header || type === FlvTagType.Script // headers and sparse data (cue points, captions) move no clock
        ? { timestampMs: this.normalizer.placeHeader(type, input.timestampMs), discontinuity: false }
        : this.normalizer.map(type, input.timestampMs);
    if (time.discontinuity) this.counters.timestampJumps++;
    const packet: MediaPacket = {
      type,
      timestampMs: time.timestampMs,
      body: input.body,
      header: input.header,
      randomAccess: !input.header && (isVideo ? input.keyframe : type === FlvTagType.Audio && !this.hasVideo),
      discontinuity: time.discontinuity,
      video: input.video,
      audio: input.audio,
    };
    this.counters.packetsIn++;
    this.counters.bytesIn += input.body.byteLength;
    if (packet.discontinuity) this.hooks.onTimestampJump?.(this, packet);
    if (packet.header) this.rememberHeader(packet);
    else this.cache(packet);
    for (const reader of this.readers) reader.onPacket(packet);
    if (!this.started && !packet.header && type !== FlvTagType.Script) this.markStarted();
    return packet;
  }

  end(): void {
    // Nothing a finished stream buffered outlives it, whoever still holds the object.
    this.gop = [];
    this.gopBytes = 0;
    for (const reader of [...this.readers]) reader.onStreamEnd();
    this.readers.clear();
    this.releaseWaiters();
  }

  private markStarted(): void {
    this.started = true;
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.startWaiters;
    this.startWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private rememberHeader(packet: MediaPacket): void {
    if (packet.type === FlvTagType.Video) this.videoHeader = packet;
    else if (packet.type === FlvTagType.Audio) this.audioHeader = packet;
    else this.metadata = packet;
  }

  private cache(packet: MediaPacket): void {
    if (packet.type === FlvTagType.Script) return; // onTextData/onCuePoint are live-only
    if (packet.randomAccess && (packet.type === FlvTagType.Video || !this.hasVideo)) {
      this.gop = [packet];
      this.gopBytes = packet.body.byteLength;
      this.gopOverflowed = false;
      return;
    }
    if (this.gopOverflowed || this.gop.length === 0) return;
    this.gop.push(packet);
    this.gopBytes += packet.body.byteLength;
    if (this.gop.length > this.gopLimits.maxPackets || this.gopBytes > this.gopLimits.maxBytes) {
      // An encoder with a huge GOP: stop caching rather than hold unbounded memory.
      this.gop = [];
      this.gopBytes = 0;
      this.gopOverflowed = true;
    }
  }
}

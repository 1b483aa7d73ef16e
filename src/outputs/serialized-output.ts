// One output format of one stream: serializes each packet once, and once per flush window joins
// the window's packets into one buffer that every caught-up viewer of that format is handed as
// is (one write per viewer per window, no per-viewer copy). A viewer joining late gets headers
// and the current GOP first, and the shared batches from the next window on.
import type { LiveStream, StreamReader } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import { joinBatch, mediaEntry, type MediaBatch, type MediaEntry } from './media-batch.ts';

/** The per-connection side of a viewer, implemented at the edge (socket, HTTP, WebSocket). */
export interface OutputViewer {
  /** never-dropped bytes: headers, metadata */
  sendControl(bytes: Uint8Array): void;
  /** media that may be dropped when the viewer is behind (the GOP on join; every packet for a viewer without sendBatch) */
  sendMedia(bytes: Uint8Array, randomAccess: boolean, entry: MediaEntry): void;
  /**
   * A whole flush window, headers included, in order. A viewer that has it gets no per-packet
   * calls for live media: the output batches for it.
   */
  sendBatch?(batch: MediaBatch): void;
  onPublisherStart(): void;
  onPublisherStop(): void;
  onStreamEnd(): void;
}

export type PacketEncoder = (packet: MediaPacket) => Uint8Array;

/** How long a window stays open (0: to the end of the tick), read at each window's start. */
export type MergeWindow = () => number;

export class SerializedOutput implements StreamReader {
  /** viewers that take shared batches */
  private readonly batched = new Set<OutputViewer>();
  /** joined while a window was open: that window is in the GOP they got, the next one is theirs */
  private readonly joining = new Set<OutputViewer>();
  /** viewers without sendBatch, served packet by packet */
  private readonly direct = new Set<OutputViewer>();
  private readonly encoded = new WeakMap<MediaPacket, Uint8Array>();
  private pending: MediaEntry[] = [];
  private windowOpen = false;
  /** which window a timer closes: one closed early (publisher stop) may have been followed by another */
  private windowId = 0;
  packetsEncoded = 0;
  batchesJoined = 0;

  constructor(
    readonly stream: LiveStream,
    private readonly encode: PacketEncoder,
    private readonly onEmpty: (output: SerializedOutput) => void,
    private readonly mergeWindowMs: MergeWindow = () => 0,
  ) {
    stream.addReader(this);
  }

  get viewerCount(): number {
    return this.batched.size + this.joining.size + this.direct.size;
  }

  addViewer(viewer: OutputViewer): void {
    if (viewer.sendBatch) (this.windowOpen ? this.joining : this.batched).add(viewer);
    else this.direct.add(viewer);
    const { metadata, videoHeader, audioHeader, gop } = this.stream;
    for (const header of [metadata, videoHeader, audioHeader]) {
      if (header) viewer.sendControl(this.bytesOf(header));
    }
    for (const packet of gop) {
      const bytes = this.bytesOf(packet);
      viewer.sendMedia(bytes, packet.randomAccess, mediaEntry(packet, bytes));
    }
  }

  removeViewer(viewer: OutputViewer): void {
    if (!this.batched.delete(viewer) && !this.joining.delete(viewer) && !this.direct.delete(viewer)) return;
    if (this.viewerCount === 0) {
      this.pending = [];
      this.stream.removeReader(this);
      this.onEmpty(this);
    }
  }

  onPacket(packet: MediaPacket): void {
    if (this.viewerCount === 0) return;
    const bytes = this.bytesOf(packet);
    if (this.direct.size > 0) {
      if (packet.header) {
        for (const viewer of this.direct) viewer.sendControl(bytes);
      } else {
        const entry = mediaEntry(packet, bytes);
        for (const viewer of this.direct) viewer.sendMedia(bytes, packet.randomAccess, entry);
      }
    }
    if (this.batched.size + this.joining.size === 0) return;
    this.pending.push(mediaEntry(packet, bytes));
    if (!this.windowOpen) this.openWindow();
  }

  /** Closes the open window: joins its packets once and hands the batch to every batched viewer. */
  flushWindow(): void {
    this.windowOpen = false;
    const entries = this.pending;
    this.pending = [];
    if (entries.length > 0 && this.batched.size > 0) {
      const batch = joinBatch(entries);
      this.batchesJoined++;
      for (const viewer of this.batched) viewer.sendBatch!(batch);
    }
    for (const viewer of this.joining) this.batched.add(viewer);
    this.joining.clear();
  }

  // Anything said about the publisher follows the media sent before it, so the window closes first.
  onPublisherStart(): void {
    this.flushWindow();
    for (const viewer of this.allViewers()) viewer.onPublisherStart();
  }

  onPublisherStop(): void {
    this.flushWindow();
    for (const viewer of this.allViewers()) viewer.onPublisherStop();
  }

  onStreamEnd(): void {
    this.flushWindow();
    const viewers = this.allViewers();
    this.batched.clear();
    this.joining.clear();
    this.direct.clear();
    for (const viewer of viewers) viewer.onStreamEnd();
    this.onEmpty(this);
  }

  private allViewers(): OutputViewer[] {
    return [...this.batched, ...this.joining, ...this.direct];
  }

  private openWindow(): void {
    this.windowOpen = true;
    const id = ++this.windowId;
    const close = (): void => {
      if (this.windowOpen && this.windowId === id) this.flushWindow();
    };
    // A window always closes, also when its last viewer left meanwhile (it then has nothing to do).
    const delayMs = this.mergeWindowMs();
    if (delayMs > 0) setTimeout(close, delayMs);
    else queueMicrotask(close);
  }

  private bytesOf(packet: MediaPacket): Uint8Array {
    let bytes = this.encoded.get(packet);
    if (!bytes) {
      bytes = this.encode(packet);
      this.packetsEncoded++;
      // Only packets a late joiner may need are worth remembering.
      this.encoded.set(packet, bytes);
    }
    return bytes;
  }
}

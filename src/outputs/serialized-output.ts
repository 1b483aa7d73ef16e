// One output format of one stream: serializes each packet once and hands the same bytes to
// every viewer of that format. A viewer joining late gets headers and the current GOP first.
import type { LiveStream, StreamReader } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';

/** The per-connection side of a viewer, implemented at the edge (socket, HTTP, WebSocket). */
export interface OutputViewer {
  /** never-dropped bytes: headers, metadata */
  sendControl(bytes: Uint8Array): void;
  /** media that may be dropped when the viewer is behind */
  sendMedia(bytes: Uint8Array, randomAccess: boolean): void;
  onPublisherStart(): void;
  onPublisherStop(): void;
  onStreamEnd(): void;
}

export type PacketEncoder = (packet: MediaPacket) => Uint8Array;

export class SerializedOutput implements StreamReader {
  private readonly viewers = new Set<OutputViewer>();
  private readonly encoded = new WeakMap<MediaPacket, Uint8Array>();
  packetsEncoded = 0;

  constructor(
    readonly stream: LiveStream,
    private readonly encode: PacketEncoder,
    private readonly onEmpty: (output: SerializedOutput) => void,
  ) {
    stream.addReader(this);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  addViewer(viewer: OutputViewer): void {
    this.viewers.add(viewer);
    const { metadata, videoHeader, audioHeader, gop } = this.stream;
    for (const header of [metadata, videoHeader, audioHeader]) {
      if (header) viewer.sendControl(this.bytesOf(header));
    }
    for (const packet of gop) viewer.sendMedia(this.bytesOf(packet), packet.randomAccess);
  }

  removeViewer(viewer: OutputViewer): void {
    if (!this.viewers.delete(viewer)) return;
    if (this.viewers.size === 0) {
      this.stream.removeReader(this);
      this.onEmpty(this);
    }
  }

  onPacket(packet: MediaPacket): void {
    if (this.viewers.size === 0) return;
    const bytes = this.bytesOf(packet);
    if (packet.header) {
      for (const viewer of this.viewers) viewer.sendControl(bytes);
    } else {
      const randomAccess = packet.randomAccess;
      for (const viewer of this.viewers) viewer.sendMedia(bytes, randomAccess);
    }
  }

  onPublisherStart(): void {
    for (const viewer of this.viewers) viewer.onPublisherStart();
  }

  onPublisherStop(): void {
    for (const viewer of this.viewers) viewer.onPublisherStop();
  }

  onStreamEnd(): void {
    const viewers = [...this.viewers];
    this.viewers.clear();
    for (const viewer of viewers) viewer.onStreamEnd();
    this.onEmpty(this);
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

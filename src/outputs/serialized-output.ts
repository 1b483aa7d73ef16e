// One output format of one stream: serializes each packet once, and once per flush window joins
// the window's packets into one buffer that every caught-up viewer of that format is handed as
// is (one write per viewer per window, no per-viewer copy). A viewer joining late gets headers
// and the current GOP first, then what arrived since, and the shared batches from the next
// window on.
//
// Many viewers are split into lanes whose windows close at evenly spread phases of the merge
// window, on a fixed grid: a window to 800 sockets written in one go is a burst that makes the
// last viewers wait for the first ones (and floods the network at once), while four lanes of 200
// spread the same writes over the window. Each lane joins its own batch; a lane is the unit that
// shares one buffer.
import type { LiveStream, StreamReader } from '../hub/live-stream.ts';
import type { MediaPacket } from '../hub/media-packet.ts';
import { type ByteAllocator, newBytes } from '../shared/byte-allocator.ts';
import { ByteArena } from './byte-arena.ts';
import { DirectTable, type BatchTransport, type DirectMember } from './direct-table.ts';
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
  /**
   * A transport of its own and the writer that keeps its books: while caught up, the viewer's
   * batches are written to the transport straight from its lane's table (direct-table.ts), and
   * the output counts those bytes toward the stream and the engine, as the writer would have.
   */
  readonly direct?: { transport: BatchTransport; member: DirectMember };
  onPublisherStart(): void;
  onPublisherStop(): void;
  onStreamEnd(): void;
}

/** A format whose packets are written into bytes the output provides, with no allocation of their own. */
export interface AllocatingPacketEncoder {
  /** `packet` in this format, in bytes taken once from `allocate` */
  encodeWith(packet: MediaPacket, allocate: ByteAllocator): Uint8Array;
}

/** A format whose encoder makes each packet's bytes itself (they are copied into the output's arena). */
export type BytesPacketEncoder = (packet: MediaPacket) => Uint8Array;

/** Serializes a packet: into bytes of its own, or into the output's arena directly. */
export type PacketEncoder = BytesPacketEncoder | AllocatingPacketEncoder;

/** How long a window stays open (0: to the end of the tick), read when a window is scheduled. */
export type MergeWindow = () => number;

/** viewers a lane takes before the output opens another one */
export const VIEWERS_PER_LANE = 200;
/** at most this many lanes; their phases, in order, as fractions of the window (bit-reversed, so any first k are evenly spread) */
const LANE_PHASES = [0, 1 / 2, 1 / 4, 3 / 4] as const;

/** A group of batched viewers sharing one window (and one joined buffer per window). */
class Lane {
  /** batched viewers without a transport of their own: each window goes through sendBatch */
  readonly batched = new Set<OutputViewer>();
  /** batched viewers with one (OutputViewer.direct) */
  readonly table = new DirectTable();
  /** joined since this lane's last flush: each starts at the packet sequence number it joined at */
  readonly joining = new Map<OutputViewer, number>();
  /** sequence number of the first packet this lane has not flushed */
  next = 0;
  scheduled = false;
  /** which schedule a timer belongs to: a flush forced early (publisher stop) makes older timers moot */
  epoch = 0;

  constructor(readonly phase: number) {}

  get size(): number {
    return this.batched.size + this.table.size + this.joining.size;
  }

  /** in the lane's windows from now on */
  enter(viewer: OutputViewer): void {
    if (viewer.direct) this.table.add(viewer.direct.member, viewer.direct.transport);
    else this.batched.add(viewer);
  }

  leave(viewer: OutputViewer): void {
    if (viewer.direct) this.table.remove(viewer.direct.member);
    this.batched.delete(viewer);
    this.joining.delete(viewer);
  }
}

export class SerializedOutput implements StreamReader {
  private readonly lanes: Lane[] = [];
  private readonly laneOf = new Map<OutputViewer, Lane>();
  /** viewers without sendBatch, served packet by packet */
  private readonly direct = new Set<OutputViewer>();
  private readonly encoded = new WeakMap<MediaPacket, Uint8Array>();
  /** with a merge window, packets are serialized one after another here, so a window's packets are one range and its batch a view */
  private readonly arena = new ByteArena();
  private readonly takeFromArena: ByteAllocator = (size) => this.arena.take(size);
  /** packets some lane has not flushed yet; pending[0] has sequence number pendingBase */
  private pending: MediaEntry[] = [];
  private pendingBase = 0;
  /** the grid the lanes' windows close on */
  private readonly gridOriginMs = performance.now();
  /** the last batch joined, by the packets it holds: lanes flushed together over the same packets share it */
  private lastJoin: { from: number; to: number; batch: MediaBatch } | null = null;
  /** with no merge window, every lane's window ends in one end-of-tick flush */
  private tickFlushQueued = false;
  packetsEncoded = 0;
  batchesJoined = 0;

  constructor(
    readonly stream: LiveStream,
    private readonly encode: PacketEncoder,
    private readonly onEmpty: (output: SerializedOutput) => void,
    private readonly mergeWindowMs: MergeWindow = () => 0,
    /** the engine's total of bytes out, which what the output writes to transports itself adds to */
    private readonly engineBytesOut: { bytesOut: number } | null = null,
  ) {
    stream.addReader(this);
  }

  get viewerCount(): number {
    return this.laneOf.size + this.direct.size;
  }

  /** viewers per lane, for tests and diagnostics */
  get laneSizes(): number[] {
    return this.lanes.map((lane) => lane.size);
  }

  addViewer(viewer: OutputViewer): void {
    if (viewer.sendBatch) {
      const lane = this.laneFor();
      if (lane.size === 0) lane.next = this.sequenceEnd;
      this.laneOf.set(viewer, lane);
      // What this lane has not flushed yet is in the GOP the viewer gets now; what comes after it is not.
      if (lane.next < this.sequenceEnd) lane.joining.set(viewer, this.sequenceEnd);
      else lane.enter(viewer);
    } else {
      this.direct.add(viewer);
    }
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
    const lane = this.laneOf.get(viewer);
    if (lane) {
      this.laneOf.delete(viewer);
      lane.leave(viewer);
      if (lane.size === 0) lane.next = this.sequenceEnd;
      this.trimPending();
    } else if (!this.direct.delete(viewer)) {
      return;
    }
    if (this.viewerCount === 0) {
      this.pending = [];
      this.pendingBase = 0;
      this.lastJoin = null;
      for (const lane of this.lanes) lane.next = 0;
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
    if (this.laneOf.size === 0) return;
    this.pending.push(mediaEntry(packet, bytes));
    for (const lane of this.lanes) {
      if (lane.size > 0 && !lane.scheduled) this.schedule(lane);
    }
  }

  /** Closes every lane's window now: what each has gathered goes out, joined once per lane. */
  flushWindow(): void {
    for (const lane of this.lanes) this.flushLane(lane);
  }

  // Anything said about the publisher follows the media sent before it, so the windows close first.
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
    this.lanes.length = 0;
    this.laneOf.clear();
    this.direct.clear();
    this.pending = [];
    this.lastJoin = null;
    for (const viewer of viewers) viewer.onStreamEnd();
    this.onEmpty(this);
  }

  private get sequenceEnd(): number {
    return this.pendingBase + this.pending.length;
  }

  private allViewers(): OutputViewer[] {
    return [...this.laneOf.keys(), ...this.direct];
  }

  /** The lane a new batched viewer goes to: as many lanes as its share of viewers needs, the emptiest of them. */
  private laneFor(): Lane {
    const wanted = Math.min(LANE_PHASES.length, Math.ceil((this.laneOf.size + 1) / VIEWERS_PER_LANE));
    while (this.lanes.length < wanted) {
      const lane = new Lane(LANE_PHASES[this.lanes.length]!);
      lane.next = this.sequenceEnd;
      this.lanes.push(lane);
    }
    let best = this.lanes[0]!;
    for (let i = 1; i < wanted; i++) if (this.lanes[i]!.size < best.size) best = this.lanes[i]!;
    return best;
  }

  private schedule(lane: Lane): void {
    lane.scheduled = true;
    const windowMs = this.mergeWindowMs();
    if (windowMs <= 0) {
      // No phases to spread over: all lanes close at the end of this tick, over the same packets, with one batch.
      if (!this.tickFlushQueued) {
        this.tickFlushQueued = true;
        queueMicrotask(() => {
          this.tickFlushQueued = false;
          for (const queued of this.lanes) if (queued.scheduled) this.flushLane(queued);
        });
      }
      return;
    }
    const epoch = ++lane.epoch;
    // The lane's windows end on a fixed grid (its phase of every window), so a packet waits at most one window.
    const nowMs = performance.now() - this.gridOriginMs;
    const delayMs = (((lane.phase * windowMs - nowMs) % windowMs) + windowMs) % windowMs;
    // A window always closes, also when its last viewer left meanwhile (it then has nothing to do).
    setTimeout(() => {
      if (lane.scheduled && lane.epoch === epoch) this.flushLane(lane);
    }, delayMs);
  }

  private flushLane(lane: Lane): void {
    lane.scheduled = false;
    const end = this.sequenceEnd;
    if (lane.next < end && (lane.batched.size > 0 || lane.table.size > 0)) {
      const batch = this.batchOf(lane.next, end);
      if (lane.table.size > 0) this.writeTable(lane.table, batch);
      for (const viewer of lane.batched) viewer.sendBatch!(batch);
    }
    for (const [viewer, from] of lane.joining) {
      // What arrived after its GOP was taken, in its own batch (joins are rare), then the shared path.
      if (from < end) viewer.sendBatch!(joinBatch(this.pending.slice(from - this.pendingBase, end - this.pendingBase)));
      lane.enter(viewer);
    }
    lane.joining.clear();
    lane.next = end;
    this.trimPending();
  }

  /** The caught-up members' transports first, in one loop; then what the members must hear of it. */
  private writeTable(table: DirectTable, batch: MediaBatch): void {
    const written = table.write(batch);
    if (written.whole > 0) {
      const bytes = written.whole * batch.bytes.byteLength;
      this.stream.counters.bytesOut += bytes;
      if (this.engineBytesOut) this.engineBytesOut.bytesOut += bytes;
    }
    if (written.short) for (const { member, taken, error } of written.short) member.shortWrite(batch, taken, error);
    if (written.unflagged) for (const member of written.unflagged) member.writeBatch(batch);
  }

  private batchOf(from: number, to: number): MediaBatch {
    const last = this.lastJoin;
    if (last && last.from === from && last.to === to) return last.batch;
    const batch = joinBatch(this.pending.slice(from - this.pendingBase, to - this.pendingBase));
    this.batchesJoined++;
    this.lastJoin = { from, to, batch };
    return batch;
  }

  /** Drops the packets every lane with viewers has flushed. */
  private trimPending(): void {
    let keepFrom = this.sequenceEnd;
    for (const lane of this.lanes) {
      if (lane.size === 0) continue;
      keepFrom = Math.min(keepFrom, lane.next);
      for (const from of lane.joining.values()) keepFrom = Math.min(keepFrom, from);
    }
    const drop = keepFrom - this.pendingBase;
    if (drop <= 0) return;
    this.pending = drop >= this.pending.length ? [] : this.pending.slice(drop);
    this.pendingBase = keepFrom;
  }

  private bytesOf(packet: MediaPacket): Uint8Array {
    let bytes = this.encoded.get(packet);
    if (!bytes) {
      const encode = this.encode;
      // The arena pays where windows join several packets. With no merge window a batch is
      // mostly one packet, which is written as it is, and an arena chunk would only stay
      // resident until the last view of it is collected (about 2.6 MiB at 800 viewers, RESULTS).
      const inArena = this.mergeWindowMs() > 0;
      if (typeof encode === 'function') {
        bytes = inArena ? this.arena.copy(encode(packet)) : encode(packet);
      } else {
        bytes = encode.encodeWith(packet, inArena ? this.takeFromArena : newBytes);
      }
      this.packetsEncoded++;
      // Only packets a late joiner may need are worth remembering.
      this.encoded.set(packet, bytes);
    }
    return bytes;
  }
}

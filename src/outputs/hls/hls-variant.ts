// One HLS rendition of one stream held in memory: the sliding window of segments (and, for
// LL-HLS, their parts), the playlist rendered from it, and waiters for blocking reloads.
import { concatBytes } from '../../media/bytes.ts';
import { renderMediaPlaylist, type MediaPlaylistModel, type PlaylistPart, type PlaylistSegment } from '../../remux/hls-playlist.ts';

// StoredPart and StoredSegment are alike in shape to srt/receiver.ts's record types: declarations only.
/** Once its segment is finished, a part's bytes are a view of the segment's: one copy of the media, not two. */
export type StoredPart = { uri: string; durationSec: number; independent: boolean; bytes: Uint8Array };

export type StoredSegment = {
  msn: number;
  uri: string;
  durationSec: number;
  discontinuity: boolean;
  programDateTimeMs: number;
  parts: StoredPart[];
  /** the whole segment; null while it is still being written */
  bytes: Uint8Array | null;
};

export type VariantOptions = {
  targetDurationSec: number;
  windowSegments: number;
  /** segments (and their parts) kept beyond this many bytes go oldest first, the newest always stays */
  maxWindowBytes?: number;
  /** LL-HLS: parts, preload hints, blocking reload */
  partTargetSec?: number;
};

type Waiter = { ready: () => boolean; resolve: (ok: boolean) => void; timer: ReturnType<typeof setTimeout> };

/** Segments kept after they leave the playlist, for clients that fetched the playlist just before. */
const RETAINED_EXTRA_SEGMENTS = 2;
/** Parts are listed for this many of the newest complete segments. */
const SEGMENTS_WITH_PARTS = 3;

export class HlsVariant {
  // Written only by this class's methods (the HLS output drives them); the HTTP side reads
  // through the getters below, so a request can never change what other players are served.
  private readonly stored: StoredSegment[] = [];
  private openSegment: StoredSegment | null = null;
  private initSegment: { uri: string; bytes: Uint8Array } | null = null;
  private isEnded = false;
  private isUnavailable = false;
  private partCount = 0;
  private nextMsn = 0;
  private discontinuitySequence = 0;
  private pendingDiscontinuity = false;
  private maxSegmentSec = 0;
  private waiters: Waiter[] = [];
  private rendered = new Map<string, string>();

  constructor(
    readonly options: VariantOptions,
    private readonly segmentUri: (msn: number) => string,
    readonly partUri: (msn: number, index: number) => string,
  ) {}

  /** complete segments in the window (plus a few retained for late fetches), oldest first */
  get segments(): readonly StoredSegment[] {
    return this.stored;
  }
  /** the segment being cut, whose parts are already served (LL-HLS) */
  get open(): Readonly<StoredSegment> | null {
    return this.openSegment;
  }
  get init(): Readonly<{ uri: string; bytes: Uint8Array }> | null {
    return this.initSegment;
  }
  get ended(): boolean {
    return this.isEnded;
  }
  /** the stream's current codecs cannot be carried in this variant: answer 404 without waiting */
  get unavailable(): boolean {
    return this.isUnavailable;
  }
  setUnavailable(unavailable: boolean): void {
    this.isUnavailable = unavailable;
  }
  /** parts added since the variant began: tells a waiter that a new part is out */
  get partsAdded(): number {
    return this.partCount;
  }

  get lowLatency(): boolean {
    return this.options.partTargetSec !== undefined;
  }

  /** The newest media sequence number that has at least one part or is complete, -1 if none. */
  get lastMsn(): number {
    return this.openSegment && this.openSegment.parts.length > 0 ? this.openSegment.msn : this.nextMsn - (this.openSegment ? 2 : 1);
  }

  get hasContent(): boolean {
    return this.stored.length > 0 || (this.openSegment?.parts.length ?? 0) > 0;
  }

  setInit(uri: string, bytes: Uint8Array): void {
    this.initSegment = { uri, bytes };
  }

  markDiscontinuity(): void {
    if (this.stored.length > 0 || this.openSegment) this.pendingDiscontinuity = true;
  }

  startSegment(programDateTimeMs: number): StoredSegment {
    const msn = this.nextMsn++;
    this.openSegment = {
      msn,
      uri: this.segmentUri(msn),
      durationSec: 0,
      discontinuity: this.pendingDiscontinuity,
      programDateTimeMs,
      parts: [],
      bytes: null,
    };
    this.pendingDiscontinuity = false;
    return this.openSegment;
  }

  addPart(bytes: Uint8Array, durationSec: number, independent: boolean): void {
    const open = this.openSegment;
    if (!open) throw new Error('addPart without an open segment');
    open.parts.push({ uri: this.partUri(open.msn, open.parts.length), durationSec, independent, bytes });
    this.partCount++;
    this.changed();
  }

  /**
   * Ends the open LL-HLS segment as its parts back to back (an fMP4 segment is the sequence of
   * its fragments): joined once, and each part becomes a view of the joined bytes, so the window
   * holds the media once and a part and its segment are the same bytes.
   */
  finishSegmentFromParts(durationSec: number): void {
    const open = this.openSegment;
    if (!open) throw new Error('finishSegmentFromParts without an open segment');
    const whole = concatBytes(open.parts.map((p) => p.bytes));
    let offset = 0;
    for (const part of open.parts) {
      const end = offset + part.bytes.byteLength;
      part.bytes = whole.subarray(offset, end);
      offset = end;
    }
    this.finishSegment(whole, durationSec);
  }

  finishSegment(bytes: Uint8Array, durationSec: number): void {
    const open = this.openSegment;
    if (!open) throw new Error('finishSegment without an open segment');
    open.bytes = bytes;
    open.durationSec = durationSec;
    this.openSegment = null;
    this.stored.push(open);
    // Parts are only listed for the newest segments; older ones are served whole.
    const unlisted = this.stored[this.stored.length - 1 - SEGMENTS_WITH_PARTS];
    if (unlisted) unlisted.parts = [];
    this.maxSegmentSec = Math.max(this.maxSegmentSec, durationSec);
    const maxBytes = this.options.maxWindowBytes ?? Infinity;
    let heldBytes = 0;
    for (const segment of this.stored) heldBytes += segmentBytes(segment);
    while (
      this.stored.length > this.options.windowSegments + RETAINED_EXTRA_SEGMENTS ||
      (this.stored.length > 1 && heldBytes > maxBytes)
    ) {
      const dropped = this.stored.shift()!;
      heldBytes -= segmentBytes(dropped);
      if (dropped.discontinuity) this.discontinuitySequence++;
    }
    this.changed();
  }

  end(): void {
    this.isEnded = true;
    this.openSegment = null;
    this.changed();
  }

  findSegment(uri: string): StoredSegment | undefined {
    return this.stored.find((s) => s.uri === uri);
  }

  findPart(uri: string): StoredPart | undefined {
    for (const segment of this.openSegment ? [...this.stored, this.openSegment] : this.stored) {
      const part = segment.parts.find((p) => p.uri === uri);
      if (part) return part;
    }
    return undefined;
  }

  /** Whether part `index` of segment `msn` exists (rfc8216bis §6.2.5.2: past the last part means the next segment's first). */
  hasPart(msn: number, index: number): boolean {
    if (this.isEnded) return true;
    if (this.openSegment?.msn === msn) return this.openSegment.parts.length > index;
    const segment = this.stored.find((s) => s.msn === msn);
    if (segment) return index < segment.parts.length || this.hasPart(msn + 1, 0);
    const oldest = this.stored[0]?.msn ?? this.nextMsn;
    return msn < oldest;
  }

  /** The media sequence number the next segment will get. */
  get upcomingMsn(): number {
    return this.nextMsn;
  }

  /** Resolves true once the predicate holds (checked on every change), false at the timeout. */
  waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        ready,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Releases every waiter, e.g. when the stream is torn down. */
  releaseAll(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(w.ready());
    }
    this.waiters = [];
  }

  playlist(skip: boolean): string {
    const key = skip ? 'skip' : 'full';
    let text = this.rendered.get(key);
    if (text === undefined) {
      text = renderMediaPlaylist(this.model(), { skip });
      this.rendered.set(key, text);
    }
    return text;
  }

  private changed(): void {
    this.rendered.clear();
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.ready()) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }

  private model(): MediaPlaylistModel {
    const visible = this.stored.slice(-this.options.windowSegments);
    const hidden = this.stored.length - visible.length;
    let discontinuitySequence = this.discontinuitySequence;
    for (let i = 0; i < hidden; i++) if (this.stored[i]!.discontinuity) discontinuitySequence++;
    const withParts = this.lowLatency ? visible.length - SEGMENTS_WITH_PARTS : visible.length;
    const segments: PlaylistSegment[] = visible.map((s, i) => ({
      msn: s.msn,
      uri: s.uri,
      durationSec: s.durationSec,
      discontinuity: s.discontinuity,
      programDateTimeMs: s.programDateTimeMs,
      ...(this.lowLatency && i >= withParts ? { parts: s.parts.map(toPlaylistPart) } : {}),
    }));
    const targetDurationSec = Math.max(1, Math.ceil(Math.max(this.maxSegmentSec, this.options.targetDurationSec)));
    const model: MediaPlaylistModel = {
      targetDurationSec,
      segments,
      discontinuitySequence,
      ended: this.isEnded,
      ...(this.initSegment ? { initUri: this.initSegment.uri } : {}),
    };
    const configuredPartSec = this.options.partTargetSec;
    if (configuredPartSec === undefined) return model;
    // Every listed part must fit PART-TARGET; a publisher's timestamp gap can make one longer
    // than configured, and the playlist must stay valid rather than fail.
    let partTargetSec = configuredPartSec;
    for (const segment of segments) for (const part of segment.parts ?? []) partTargetSec = Math.max(partTargetSec, part.durationSec);
    for (const part of this.openSegment?.parts ?? []) partTargetSec = Math.max(partTargetSec, part.durationSec);
    const open = this.openSegment;
    const pendingParts = open ? open.parts.map(toPlaylistPart) : [];
    const nextPart = open ? this.partUri(open.msn, open.parts.length) : this.partUri(this.nextMsn, 0);
    return {
      ...model,
      lowLatency: {
        partTargetSec,
        partHoldBackSec: 3 * partTargetSec,
        canBlockReload: true,
        canSkipUntilSec: 6 * targetDurationSec,
        pendingParts,
        ...(this.isEnded ? {} : { preloadHint: { uri: nextPart } }),
      },
    };
  }
}

/** What a segment holds: its bytes, plus any part that is not a view of them (counted once, not twice). */
export function segmentBytes(segment: StoredSegment): number {
  const whole = segment.bytes;
  let size = whole?.byteLength ?? 0;
  for (const part of segment.parts) if (part.bytes.buffer !== whole?.buffer) size += part.bytes.byteLength;
  return size;
}

function toPlaylistPart(part: StoredPart): PlaylistPart {
  return { uri: part.uri, durationSec: part.durationSec, independent: part.independent };
}

// Access-unit assembly shared by the H.264 (RFC 6184 §5.1) and H.265 (RFC 7798 §4.1) depacketizers: NAL units of one
// RTP timestamp form one access unit, the marker bit ends it; an access unit touched by packet loss is never emitted.
// NalDepacketizer, at the end, is the push loop both depacketizers run around their own payload reader.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { RtpPacket } from './rtp-packet.ts';

export type NalAccessUnit = Readonly<{ timestamp: number; nalUnits: readonly Uint8Array[] }>;

/** Bounds against a peer that never sets the marker nor changes the timestamp. */
export const MAX_ACCESS_UNIT_BYTES = 16 * 1024 * 1024;
export const MAX_NALS_PER_ACCESS_UNIT = 1024;

export class AccessUnitAssembler {
  private timestamp: number | undefined;
  private nals: Uint8Array[] = [];
  private bytes = 0;
  private tainted = false;
  /** loss happened since the last packet: the next new unit must prove it starts a picture */
  private gapBeforeNext = false;
  /** set when this unit began right after a loss: its first NAL must start a picture */
  private checkFirst = false;
  /** FU reassembly of the NAL in progress */
  private fragments: Uint8Array[] | undefined;
  private fragmentBytes = 0;
  droppedUnits = 0;

  constructor(private readonly startsPicture: (nal: Uint8Array) => boolean) {}

  /** Call before the packet that follows `lost` missing packets. */
  onLoss(): void {
    if (this.timestamp !== undefined) this.tainted = true;
    this.fragments = undefined;
    this.gapBeforeNext = true;
  }

  /** Starts (or continues) the unit of this timestamp; a finished previous unit goes to `out`. */
  begin(timestamp: number, out: NalAccessUnit[]): void {
    if (this.timestamp !== undefined && this.timestamp !== timestamp) this.finish(out);
    if (this.timestamp === undefined) {
      this.timestamp = timestamp;
      this.tainted = false;
      this.checkFirst = this.gapBeforeNext;
    }
    this.gapBeforeNext = false;
  }

  addNal(nal: Uint8Array): void {
    if (nal.length === 0) return;
    if (this.checkFirst) {
      if (this.nals.length === 0 && !this.startsPicture(nal)) this.tainted = true;
      this.checkFirst = false;
    }
    this.bytes += nal.length;
    if (this.bytes > MAX_ACCESS_UNIT_BYTES || this.nals.length >= MAX_NALS_PER_ACCESS_UNIT) {
      throw new ProtocolError(ProtocolErrorCode.TooLarge, `RTP access unit over ${MAX_ACCESS_UNIT_BYTES} bytes or ${MAX_NALS_PER_ACCESS_UNIT} NAL units`);
    }
    this.nals.push(nal);
  }

  fragmentStart(header: Uint8Array, first: Uint8Array): void {
    if (this.fragments) this.tainted = true; // a fragmented NAL never ended
    this.fragments = [header.slice(), first];
    this.fragmentBytes = header.length + first.length;
  }

  /** A middle or end fragment; without a start (lost) the unit is tainted. */
  fragmentContinue(part: Uint8Array, end: boolean): void {
    if (!this.fragments) {
      this.tainted = true;
      return;
    }
    this.fragments.push(part);
    this.fragmentBytes += part.length;
    if (this.fragmentBytes > MAX_ACCESS_UNIT_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, 'RTP fragmented NAL unit too large');
    if (end) {
      const nal = new Uint8Array(this.fragmentBytes);
      let at = 0;
      for (const f of this.fragments) {
        nal.set(f, at);
        at += f.length;
      }
      this.fragments = undefined;
      this.addNal(nal);
    }
  }

  /** The packet had the marker bit: the unit is complete. */
  end(out: NalAccessUnit[]): void {
    this.finish(out);
  }

  taint(): void {
    this.tainted = true;
  }

  private finish(out: NalAccessUnit[]): void {
    if (this.timestamp === undefined) return;
    if (this.fragments) this.tainted = true;
    if (!this.tainted && this.nals.length > 0) out.push({ timestamp: this.timestamp, nalUnits: this.nals });
    else if (this.nals.length > 0 || this.tainted) this.droppedUnits++;
    this.timestamp = undefined;
    this.nals = [];
    this.bytes = 0;
    this.tainted = false;
    this.fragments = undefined;
    this.checkFirst = false;
  }
}

/**
 * The frame every NAL depacketizer shares (H.264: depacketize-h264.ts, H.265: depacketize-h265.ts): a loss
 * before a packet, the access unit its timestamp opens or continues, and the one the marker bit closes.
 * A subclass only reads its own RFC's payload (single NAL, aggregation, fragmentation) into `au`.
 */
export abstract class NalDepacketizer {
  protected readonly au: AccessUnitAssembler;

  constructor(startsPicture: (nal: Uint8Array) => boolean) {
    this.au = new AccessUnitAssembler(startsPicture);
  }

  get droppedUnits(): number {
    return this.au.droppedUnits;
  }

  /** `lost`: packets missing right before this one (from the sequence tracker). */
  push(packet: RtpPacket, lost = 0): NalAccessUnit[] {
    const out: NalAccessUnit[] = [];
    if (lost > 0) this.au.onLoss();
    this.au.begin(packet.timestamp, out);
    this.readPayload(packet.payload);
    if (packet.marker) this.au.end(out);
    return out;
  }

  /** One RTP payload's NAL units into `au`; throws ProtocolError on bad bytes. */
  protected abstract readPayload(p: Uint8Array): void;
}

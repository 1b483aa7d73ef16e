// MPEG-4 AAC RTP depacketizer for mpeg4-generic AAC-hbr/AAC-lbr (RFC 3640 §3.2.1 AU-headers section, §3.2.3 access
// units, §3.3.6 fragmentation of one AU over packets): RTP packets in, raw AAC frames with their RTP timestamps out.
import { concatBytes, readUint16BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { RtpPacket } from './rtp-packet.ts';

export type AudioUnit = Readonly<{ timestamp: number; data: Uint8Array }>;

/** An AAC frame holds 1024 samples (960 with frameLengthFlag, which RTSP sources do not use). */
export const AAC_SAMPLES_PER_FRAME = 1024;
const MAX_AU_BYTES = 64 * 1024;

export type AacHbrLayout = Readonly<{ sizeLength: number; indexLength: number; indexDeltaLength: number }>;

class Bits {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array, private readonly limitBits: number) {}
  read(n: number): number {
    if (this.pos + n > this.limitBits) throw new ProtocolError(ProtocolErrorCode.Truncated, 'AAC RTP: AU header');
    let v = 0;
    for (let i = 0; i < n; i++, this.pos++) v = v * 2 + ((this.bytes[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
    return v;
  }
  get left(): number {
    return this.limitBits - this.pos;
  }
}

export class AacDepacketizer {
  private fragment: { timestamp: number; size: number; parts: Uint8Array[]; have: number } | undefined;
  droppedUnits = 0;

  constructor(private readonly layout: AacHbrLayout) {
    if (layout.sizeLength === 0) throw new ProtocolError(ProtocolErrorCode.Unsupported, 'AAC RTP: sizelength 0');
  }

  push(packet: RtpPacket, lost = 0): AudioUnit[] {
    const droppedByLoss = lost > 0 && this.fragment !== undefined;
    if (droppedByLoss) {
      this.fragment = undefined;
      this.droppedUnits++;
    }
    const p = packet.payload;
    if (p.length < 2) throw new ProtocolError(ProtocolErrorCode.Truncated, 'AAC RTP: AU-headers-length');
    const headersBits = readUint16BE(p, 0);
    const headersBytes = Math.ceil(headersBits / 8);
    if (2 + headersBytes > p.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'AAC RTP: AU headers');
    const bits = new Bits(p.subarray(2, 2 + headersBytes), headersBits);
    const sizes: number[] = [];
    for (let first = true; bits.left > 0; first = false) {
      const size = bits.read(this.layout.sizeLength);
      const index = bits.read(first ? this.layout.indexLength : this.layout.indexDeltaLength);
      if (index !== 0) throw new ProtocolError(ProtocolErrorCode.Unsupported, 'AAC RTP: interleaved AUs (index/index-delta != 0)');
      sizes.push(size);
    }
    if (sizes.length === 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'AAC RTP: no AU header');
    let at = 2 + headersBytes;
    const data = p.subarray(at);

    if (this.fragment) {
      // continuation of an AU split over packets: one header carrying the whole AU size
      const f = this.fragment;
      if (packet.timestamp !== f.timestamp || sizes.length !== 1 || sizes[0] !== f.size) {
        this.fragment = undefined;
        this.droppedUnits++;
      } else {
        f.parts.push(data);
        f.have += data.length;
        if (f.have > f.size) throw new ProtocolError(ProtocolErrorCode.Malformed, 'AAC RTP: fragment overruns its AU size');
        if (f.have < f.size) {
          if (packet.marker) {
            this.fragment = undefined;
            this.droppedUnits++;
          }
          return [];
        }
        this.fragment = undefined;
        return [{ timestamp: f.timestamp, data: concatBytes(f.parts) }];
      }
    }

    if (sizes.length === 1 && sizes[0]! > data.length) {
      if (sizes[0]! > MAX_AU_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `AAC RTP: AU of ${sizes[0]} bytes`);
      if (lost > 0 || packet.marker) {
        if (!droppedByLoss) this.droppedUnits++; // the rest of the AU counted just above
        return [];
      }
      this.fragment = { timestamp: packet.timestamp, size: sizes[0]!, parts: [data], have: data.length };
      return [];
    }
    const out: AudioUnit[] = [];
    for (let i = 0; i < sizes.length; i++) {
      const size = sizes[i]!;
      if (at + size > p.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'AAC RTP: access unit');
      out.push({ timestamp: (packet.timestamp + i * AAC_SAMPLES_PER_FRAME) >>> 0, data: p.subarray(at, at + size) });
      at += size;
    }
    return out;
  }
}

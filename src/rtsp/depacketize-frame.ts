// Depacketizers for codecs carrying one frame per RTP payload: G.711 PCMA/PCMU (RFC 3551 §4.5.14, samples at
// 8 kHz, any number per packet) and Opus (RFC 7587 §4.2: exactly one Opus packet per RTP payload).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { AudioUnit } from './depacketize-aac.ts';
import type { RtpPacket } from './rtp-packet.ts';

export class FramePerPacketDepacketizer {
  constructor(private readonly what: string) {}

  push(packet: RtpPacket): AudioUnit[] {
    if (packet.payload.length === 0) throw new ProtocolError(ProtocolErrorCode.Truncated, `${this.what} RTP: empty payload`);
    return [{ timestamp: packet.timestamp, data: packet.payload }];
  }
}

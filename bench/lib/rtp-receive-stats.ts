// What a light WebRTC viewer counts per received RTP stream without decrypting every packet: packets, bytes and loss
// from the clear RTP header (RFC 3550 §A.1 extended sequence numbers, §A.3 loss), and keyframes from the first
// payload bytes of each frame's first packet, which are decrypted alone: AES-CM is a keystream (RFC 3711 §4.1.1),
// so one AES block of it reads the NAL header. That peek is not authenticated; webrtc-load-client.ts
// authenticates and decrypts whole packets on a sample, which is what catches a viewer fed garbage.
import { createCipheriv, type Cipheriv } from 'node:crypto';
import { RtpSequenceTracker } from '../../src/rtsp/rtp-sequence.ts';
import { counterIv, deriveSrtpKeys } from '../../src/webrtc/srtp.ts';

const SRTP_TAG_BYTES = 10;
const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_STAP_A = 24;
const NAL_FU_A = 28;

/** Length of the clear RTP header (CSRCs, extension); -1 when the packet is too short for it. */
export function rtpHeaderBytes(packet: Uint8Array): number {
  if (packet.length < 12) return -1;
  let at = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < at + 4) return -1;
    at += 4 + ((packet[at + 2]! << 8) | packet[at + 3]!) * 4;
  }
  return at <= packet.length ? at : -1;
}

/** The first 16 payload bytes of an SRTP packet (AES_CM_128), decrypted without checking its tag. */
export class SrtpPayloadPeek {
  private readonly block: Cipheriv;
  private readonly salt: Uint8Array;

  constructor(masterKey: Uint8Array, masterSalt: Uint8Array) {
    const keys = deriveSrtpKeys(masterKey, masterSalt).rtp;
    this.block = createCipheriv('aes-128-ecb', keys.key, null);
    this.block.setAutoPadding(false);
    this.salt = keys.salt;
  }

  /** `index` is the packet's SRTP index: rollover counter × 65536 + sequence number. */
  head(packet: Uint8Array, ssrc: number, index: number): Uint8Array {
    const at = rtpHeaderBytes(packet);
    const end = packet.length - SRTP_TAG_BYTES;
    if (at < 0 || at >= end) return new Uint8Array(0);
    const keystream = this.block.update(counterIv(this.salt, ssrc, index));
    const n = Math.min(16, end - at);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = packet[at + i]! ^ keystream[i]!;
    return out;
  }
}

/** RFC 6184: does this first packet of a frame start an IDR access unit (SPS or IDR first; STAP-A or FU-A of one)? */
export function h264StartsKeyframe(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  const type = head[0]! & 0x1f;
  if (type === NAL_STAP_A) return head.length > 3 && [NAL_SPS, NAL_IDR].includes(head[3]! & 0x1f);
  if (type === NAL_FU_A) return head.length > 1 && (head[1]! & 0x80) !== 0 && [NAL_SPS, NAL_IDR].includes(head[1]! & 0x1f);
  return type === NAL_SPS || type === NAL_IDR;
}

// Its counter fields are alike in shape to ts-frames.ts's TsFrameMatcher; kept apart: RTP packets and MPEG-TS frames are counted differently.
/** One received RTP stream (one SSRC): counts from the clear header, keyframes from a peek at each new frame. */
export class RtpReceiveStats {
  readonly sequence = new RtpSequenceTracker();
  packets = 0;
  bytes = 0;
  keyframes = 0;
  /** packets of the current frame so far; a new RTP timestamp starts a frame */
  private lastTimestamp = -1;
  private rollover = 0;
  private lastSeq = -1;

  constructor(
    readonly ssrc: number,
    readonly video: boolean,
  ) {}

  /** One SRTP packet of this SSRC (whole datagram); `peek` reads the first payload bytes of frame starts (video). */
  onPacket(packet: Uint8Array, peek: SrtpPayloadPeek | null): void {
    const seq = (packet[2]! << 8) | packet[3]!;
    const verdict = this.sequence.push(seq);
    this.packets++;
    this.bytes += packet.length;
    if (verdict.kind === 'late') return;
    // the sender's rollover counter steps when its sequence number wraps (RFC 3711 §3.3.1)
    if (this.lastSeq >= 0 && seq < this.lastSeq && this.lastSeq - seq > 0x8000) this.rollover++;
    this.lastSeq = seq;
    if (!this.video || !peek) return;
    const timestamp = ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
    if (timestamp === this.lastTimestamp) return;
    this.lastTimestamp = timestamp;
    if (h264StartsKeyframe(peek.head(packet, this.ssrc, this.rollover * 65536 + seq))) this.keyframes++;
  }

  /** RFC 3550 §A.3: expected minus received (duplicates can make it negative; reported as 0). */
  get lost(): number {
    return Math.max(0, this.sequence.cumulativeLost);
  }
}

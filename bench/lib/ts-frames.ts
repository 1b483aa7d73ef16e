// MPEG-TS for the SRT benchmark's latency figure, which must work through any relay, whether it
// remuxes (Weir: TS in, frames, TS out with its own PIDs and timestamps) or passes bytes on
// (srt-live-transmit): a video frame is known by the last 4 bytes of its PES payload (the end of
// its last slice; a remuxer may add AUD/SPS/PPS in front, but does not touch the slice data).
//
// TsSchedule cuts a TS file into 1316-byte payloads (7 packets) with the time each is due at
// real-time pace (the DTS of the latest video PES begun, from the first) and the frames whose
// last byte each carries. TsFrameMatcher reads a viewer's delivered TS, keeps a rolling tail of the
// current video PES, and after every video packet looks the tail up among the frames sent.
export const TS_PACKET = 188;
export const PACKETS_PER_PAYLOAD = 7;

export type TsChunk = { bytes: Uint8Array; dueMs: number; framesEnding: number[] };
export type TsSchedule = { chunks: TsChunk[]; tails: number[]; durationMs: number; videoPid: number };

function payloadStart(p: Uint8Array, off: number): number {
  const afc = (p[off + 3]! >> 4) & 3;
  if (afc === 2) return -1; // adaptation field only
  return afc === 3 ? off + 5 + p[off + 4]! : off + 4;
}

/** 33-bit PTS/DTS at buf[i..i+5] as ms */
function timestampMs(buf: Uint8Array, i: number): number {
  const v = ((buf[i]! >> 1) & 0x07) * 2 ** 30 + ((buf[i + 1]! << 7) | (buf[i + 2]! >> 1)) * 2 ** 15 + ((buf[i + 3]! << 7) | (buf[i + 4]! >> 1));
  return v / 90;
}

/** the video PES of a PUSI packet: stream id 0xE0-0xEF */
function isVideoPesStart(p: Uint8Array, start: number): boolean {
  return start >= 0 && p[start] === 0 && p[start + 1] === 0 && p[start + 2] === 1 && (p[start + 3]! & 0xf0) === 0xe0;
}

export function scheduleTsFile(file: Uint8Array): TsSchedule {
  if (file.length < TS_PACKET || file[0] !== 0x47) throw new Error('not an MPEG-TS file (no sync byte at 0)');
  const count = Math.floor(file.length / TS_PACKET);
  let videoPid = -1;
  const dueOfPacket = new Float64Array(count);
  const frameEndPacket: number[] = [];
  const tails: number[] = [];
  let firstDts = -1;
  let currentDue = 0;
  let tail = 0;
  let lastVideoPacket = -1;
  let inFrame = false;
  for (let i = 0; i < count; i++) {
    const off = i * TS_PACKET;
    if (file[off] !== 0x47) throw new Error(`lost TS sync at packet ${i}`);
    const pid = ((file[off + 1]! & 0x1f) << 8) | file[off + 2]!;
    const pusi = (file[off + 1]! & 0x40) !== 0;
    let start = payloadStart(file, off);
    if (start >= off + TS_PACKET) start = -1;
    if (pusi && isVideoPesStart(file, start) && (videoPid < 0 || pid === videoPid)) {
      videoPid = pid;
      if (inFrame) {
        frameEndPacket.push(lastVideoPacket);
        tails.push(tail >>> 0);
      }
      inFrame = true;
      const flags = file[start + 7]!;
      const hdrLen = file[start + 8]!;
      const dts = flags & 0x40 ? timestampMs(file, start + 14) : flags & 0x80 ? timestampMs(file, start + 9) : -1;
      if (dts >= 0) {
        if (firstDts < 0) firstDts = dts;
        currentDue = Math.max(currentDue, dts - firstDts);
      }
      start += 9 + hdrLen;
    }
    dueOfPacket[i] = currentDue;
    if (pid === videoPid && start >= 0 && inFrame) {
      for (let j = start; j < off + TS_PACKET; j++) tail = ((tail << 8) | file[j]!) >>> 0;
      lastVideoPacket = i;
    }
  }
  if (inFrame) {
    frameEndPacket.push(lastVideoPacket);
    tails.push(tail >>> 0);
  }
  if (videoPid < 0) throw new Error('no video PES in the TS file');
  const chunks: TsChunk[] = [];
  let f = 0;
  for (let i = 0; i < count; i += PACKETS_PER_PAYLOAD) {
    const n = Math.min(PACKETS_PER_PAYLOAD, count - i);
    const framesEnding: number[] = [];
    while (f < frameEndPacket.length && frameEndPacket[f]! < i + n) framesEnding.push(f++);
    chunks.push({ bytes: file.subarray(i * TS_PACKET, (i + n) * TS_PACKET), dueMs: dueOfPacket[i + n - 1]!, framesEnding });
  }
  return { chunks, tails, durationMs: currentDue, videoPid };
}

/** when each frame (by its tail) left the publisher; shared by every viewer */
export class FrameSendTimes {
  private readonly byTail = new Map<number, { index: number; sentMs: number }>();
  constructor(private readonly tails: readonly number[]) {}
  sent(frameIndex: number, atMs: number): void {
    const tail = this.tails[frameIndex];
    if (tail !== undefined) this.byTail.set(tail, { index: frameIndex, sentMs: atMs });
  }
  lookup(tail: number): { index: number; sentMs: number } | undefined {
    return this.byTail.get(tail);
  }
}

export class TsFrameMatcher {
  videoPid = -1;
  frames = 0;
  matched = 0;
  stalls = 0;
  longestGapMs = 0;
  private lastFrameMs = -1;
  private tail = 0;
  private lastIndex = -1;
  private carry: Uint8Array | undefined;
  /** samples are kept from this time on (performance.now()) */
  windowFromMs = Number.POSITIVE_INFINITY;
  windowToMs = Number.POSITIVE_INFINITY;
  readonly samples: number[] = [];

  constructor(private readonly sendTimes: FrameSendTimes | undefined, private readonly stallMs: number) {}

  feed(bytes: Uint8Array, nowMs: number): void {
    let buf = bytes;
    if (this.carry) {
      const joined = new Uint8Array(this.carry.length + bytes.length);
      joined.set(this.carry);
      joined.set(bytes, this.carry.length);
      buf = joined;
      this.carry = undefined;
    }
    let off = 0;
    while (off + TS_PACKET <= buf.length) {
      if (buf[off] !== 0x47) {
        off++;
        continue;
      }
      this.packet(buf, off, nowMs);
      off += TS_PACKET;
    }
    if (off < buf.length) this.carry = buf.slice(off);
  }

  /** gaps still open at the window's end count too */
  closeWindow(nowMs: number): void {
    if (this.lastFrameMs >= 0) this.gap(nowMs - this.lastFrameMs, nowMs);
    else this.stalls++;
  }

  private gap(ms: number, nowMs: number): void {
    if (nowMs < this.windowFromMs || nowMs > this.windowToMs) return;
    if (ms > this.longestGapMs) this.longestGapMs = ms;
    if (ms > this.stallMs) this.stalls++;
  }

  private packet(p: Uint8Array, off: number, nowMs: number): void {
    const pid = ((p[off + 1]! & 0x1f) << 8) | p[off + 2]!;
    const pusi = (p[off + 1]! & 0x40) !== 0;
    let start = payloadStart(p, off);
    if (start >= off + TS_PACKET) start = -1;
    if (pusi && isVideoPesStart(p, start) && (this.videoPid < 0 || pid === this.videoPid)) {
      this.videoPid = pid;
      this.frames++;
      if (this.lastFrameMs >= 0) this.gap(nowMs - this.lastFrameMs, nowMs);
      this.lastFrameMs = nowMs;
      start += 9 + p[start + 8]!;
    }
    if (pid !== this.videoPid || start < 0) return;
    let tail = this.tail;
    for (let j = start; j < off + TS_PACKET; j++) tail = ((tail << 8) | p[j]!) >>> 0;
    this.tail = tail;
    const hit = this.sendTimes?.lookup(tail);
    if (hit && hit.index > this.lastIndex) {
      this.lastIndex = hit.index;
      this.matched++;
      if (nowMs >= this.windowFromMs && nowMs <= this.windowToMs) this.samples.push(nowMs - hit.sentMs);
    }
  }
}

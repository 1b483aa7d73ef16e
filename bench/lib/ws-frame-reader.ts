// Incremental WebSocket client-side frame reader and the few frames a load-test client sends
// (RFC 6455 §5.2 framing, §5.5 control frames). Server frames are unmasked; client frames masked.

export class WsFrameError extends Error {
  override readonly name = 'WsFrameError';
}

export const WsOpcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export interface WsFrameSink {
  /** a slice of a data frame's payload (binary or text or continuation), in order */
  onData(bytes: Uint8Array): void;
  /** a whole control frame (payload <= 125 bytes) */
  onControl(opcode: number, payload: Uint8Array): void;
}

const MAX_HEADER_BYTES = 14;
const MAX_CONTROL_PAYLOAD = 125;

export class WsFrameReader {
  private readonly header = new Uint8Array(MAX_HEADER_BYTES);
  private headerFill = 0;
  private inPayload = false;
  private opcode = 0;
  private remaining = 0;
  private control: Uint8Array | undefined;
  private controlFill = 0;

  constructor(
    private readonly sink: WsFrameSink,
    private readonly maxFrameBytes = 64 * 1024 * 1024,
  ) {}

  push(bytes: Uint8Array): void {
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      if (!this.inPayload) {
        this.header[this.headerFill++] = bytes[i++]!;
        const need = this.headerLength();
        if (need > 0 && this.headerFill === need) this.startPayload();
        continue;
      }
      const take = Math.min(this.remaining, n - i);
      if (this.control) {
        this.control.set(bytes.subarray(i, i + take), this.controlFill);
        this.controlFill += take;
      } else if (take > 0) {
        this.sink.onData(bytes.subarray(i, i + take));
      }
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) this.endPayload();
    }
  }

  /** header length once known, or 0 while it cannot be known yet */
  private headerLength(): number {
    if (this.headerFill < 2) return 0;
    const len7 = this.header[1]! & 0x7f;
    const masked = (this.header[1]! & 0x80) !== 0;
    const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    return 2 + ext + (masked ? 4 : 0);
  }

  private startPayload(): void {
    const h = this.header;
    if (h[1]! & 0x80) throw new WsFrameError('server frames must not be masked');
    this.opcode = h[0]! & 0x0f;
    const len7 = h[1]! & 0x7f;
    let length = len7;
    if (len7 === 126) length = (h[2]! << 8) | h[3]!;
    else if (len7 === 127) {
      const high = ((h[2]! << 24) | (h[3]! << 16) | (h[4]! << 8) | h[5]!) >>> 0;
      const low = ((h[6]! << 24) | (h[7]! << 16) | (h[8]! << 8) | h[9]!) >>> 0;
      length = high * 0x100000000 + low;
    }
    if (length > this.maxFrameBytes) throw new WsFrameError(`frame of ${length} bytes over the limit`);
    this.headerFill = 0;
    this.inPayload = true;
    this.remaining = length;
    if (this.opcode >= WsOpcode.Close) {
      if (length > MAX_CONTROL_PAYLOAD) throw new WsFrameError('control frame too long');
      this.control = new Uint8Array(length);
      this.controlFill = 0;
    } else {
      this.control = undefined;
    }
    if (length === 0) this.endPayload();
  }

  private endPayload(): void {
    this.inPayload = false;
    if (this.control) {
      const payload = this.control;
      this.control = undefined;
      this.sink.onControl(this.opcode, payload);
    }
  }
}

/** a masked client frame (FIN set) with a payload of at most 125 bytes: pong, close */
export function encodeClientControlFrame(opcode: number, payload: Uint8Array, maskKey: Uint8Array): Uint8Array {
  if (payload.length > MAX_CONTROL_PAYLOAD) throw new WsFrameError('control payload too long');
  const out = new Uint8Array(2 + 4 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  out.set(maskKey.subarray(0, 4), 2);
  for (let k = 0; k < payload.length; k++) out[6 + k] = payload[k]! ^ maskKey[k & 3]!;
  return out;
}

export function buildUpgradeRequest(host: string, path: string, keyBase64: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${keyBase64}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: weir-bench\r\n\r\n`
  );
}

// Test helper: a strict little MPEG-TS reader (ISO/IEC 13818-1 §2.4.3) to check what the TS muxer writes:
// 188-byte packets, continuity counters per PID, adaptation fields, and PES reassembly with PTS/DTS.

export type TsPacket = {
  pid: number;
  payloadUnitStart: boolean;
  continuityCounter: number;
  /** adaptation_field_length + 1, or 0 when there is none */
  adaptationBytes: number;
  randomAccess: boolean;
  pcr90k?: number;
  payload: Uint8Array;
};

export type Pes = {
  pid: number;
  streamId: number;
  pesPacketLength: number;
  pts: number;
  dts: number;
  hasDts: boolean;
  randomAccess: boolean;
  pcr90k?: number;
  /** the whole PES as sent (header included) */
  bytes: Uint8Array;
  /** elementary stream bytes after the header */
  es: Uint8Array;
};

export function readTsPackets(bytes: Uint8Array): TsPacket[] {
  if (bytes.length % 188 !== 0) throw new Error(`TS: ${bytes.length} bytes is not whole packets`);
  const packets: TsPacket[] = [];
  for (let at = 0; at < bytes.length; at += 188) {
    const p = bytes.subarray(at, at + 188);
    if (p[0] !== 0x47) throw new Error(`TS: no sync byte at ${at}`);
    const afc = (p[3]! >> 4) & 3;
    if (afc === 0 || afc === 2) throw new Error(`TS: adaptation_field_control ${afc} at ${at}`);
    const packet: TsPacket = {
      pid: ((p[1]! & 0x1f) << 8) | p[2]!,
      payloadUnitStart: (p[1]! & 0x40) !== 0,
      continuityCounter: p[3]! & 0x0f,
      adaptationBytes: 0,
      randomAccess: false,
      payload: p.subarray(4),
    };
    if (afc === 3) {
      const length = p[4]!;
      if (length > 183) throw new Error(`TS: adaptation_field_length ${length}`);
      packet.adaptationBytes = length + 1;
      if (length > 0) {
        const flags = p[5]!;
        packet.randomAccess = (flags & 0x40) !== 0;
        if (flags & 0x10) {
          packet.pcr90k = p[6]! * 2 ** 25 + p[7]! * 2 ** 17 + p[8]! * 2 ** 9 + p[9]! * 2 + (p[10]! >> 7);
        }
        // everything after the used fields must be 0xFF stuffing
        const used = 2 + (flags & 0x10 ? 6 : 0);
        for (let i = 4 + used; i < 4 + length + 1; i++) if (p[i] !== 0xff) throw new Error('TS: stuffing is not 0xFF');
      }
      packet.payload = p.subarray(4 + length + 1);
    }
    packets.push(packet);
  }
  return packets;
}

/** Checks that each PID's continuity counter goes up by one per packet (mod 16), continuing from `last`. */
export function checkContinuity(packets: readonly TsPacket[], last = new Map<number, number>()): Map<number, number> {
  for (const p of packets) {
    const previous = last.get(p.pid);
    if (previous !== undefined && p.continuityCounter !== ((previous + 1) & 0x0f)) {
      throw new Error(`TS: PID ${p.pid} continuity ${previous} -> ${p.continuityCounter}`);
    }
    last.set(p.pid, p.continuityCounter);
  }
  return last;
}

function readTimestamp(b: Uint8Array, at: number): number {
  return ((b[at]! >> 1) & 7) * 2 ** 30 + (b[at + 1]! << 22) + ((b[at + 2]! >> 1) << 15) + (b[at + 3]! << 7) + (b[at + 4]! >> 1);
}

/** Reassembles every PES on the given PID. */
export function readPes(packets: readonly TsPacket[], pid: number): Pes[] {
  const out: Pes[] = [];
  let parts: Uint8Array[] = [];
  let first: TsPacket | undefined;
  const flush = () => {
    if (first === undefined) return;
    const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 1) throw new Error('PES: no start code');
    const flags = bytes[7]!;
    const hasDts = (flags & 0xc0) === 0xc0;
    const pts = readTimestamp(bytes, 9);
    const pes: Pes = {
      pid,
      streamId: bytes[3]!,
      pesPacketLength: (bytes[4]! << 8) | bytes[5]!,
      pts,
      dts: hasDts ? readTimestamp(bytes, 14) : pts,
      hasDts,
      randomAccess: first.randomAccess,
      bytes,
      es: bytes.subarray(9 + bytes[8]!),
    };
    if (first.pcr90k !== undefined) pes.pcr90k = first.pcr90k;
    out.push(pes);
  };
  for (const p of packets) {
    if (p.pid !== pid) continue;
    if (p.payloadUnitStart) {
      flush();
      first = p;
      parts = [];
    }
    if (first !== undefined) parts.push(p.payload);
  }
  flush();
  return out;
}

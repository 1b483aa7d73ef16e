// RTMP handshake state machines, server and client: C0/C1/C2 and S0/S1/S2, simple (echo) and digest variants (Adobe RTMP 1.0 §5.2).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import {
  GENUINE_FMS_KEY,
  GENUINE_FMS_KEY_PART_BYTES,
  GENUINE_FP_KEY,
  GENUINE_FP_KEY_PART_BYTES,
  DigestScheme,
  HANDSHAKE_PACKET_BYTES,
  findDigest,
  imprintDigest,
  signResponse,
  verifyResponse,
} from './handshake-digest.ts';

export const RtmpVersion = { Plain: 3, Encrypted: 6 } as const;
export type RtmpVersion = (typeof RtmpVersion)[keyof typeof RtmpVersion];

/** Version bytes 4..7 of S1 in digest mode (any value >= 3.0 makes Flash/ffmpeg/librtmp check the digest). */
const SERVER_VERSION = [0x0d, 0x0e, 0x0a, 0x0d] as const;
/** Version bytes 4..7 of C1 in digest mode: Flash Player 9.0.124.2, as ffmpeg and librtmp send. */
const CLIENT_VERSION = [0x09, 0x00, 0x7c, 0x02] as const;

export type HandshakeOptions = { randomBytes: (n: number) => Uint8Array; epochMs: number };
export type HandshakeResult = { output: Uint8Array[]; done: boolean; rest: Uint8Array };

const EMPTY = new Uint8Array(0);

function checkVersion(version: number, who: string): void {
  if (version === RtmpVersion.Plain) return;
  if (version === RtmpVersion.Encrypted) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, `${who} asked for encrypted RTMPE (version 6)`);
  }
  throw new ProtocolError(ProtocolErrorCode.Malformed, `${who} sent RTMP version ${version}, expected 3`);
}

/** A 1536-byte packet: 4-byte time, 4 version bytes, random filler. */
function makePacket(options: HandshakeOptions, version: readonly number[]): Uint8Array {
  const packet = new Uint8Array(HANDSHAKE_PACKET_BYTES);
  const random = options.randomBytes(HANDSHAKE_PACKET_BYTES - 8);
  packet.set(random.subarray(0, HANDSHAKE_PACKET_BYTES - 8), 8);
  new DataView(packet.buffer).setUint32(0, Math.floor(options.epochMs) >>> 0);
  packet.set(version, 4);
  return packet;
}

function randomPacket(options: HandshakeOptions): Uint8Array {
  const packet = new Uint8Array(HANDSHAKE_PACKET_BYTES);
  packet.set(options.randomBytes(HANDSHAKE_PACKET_BYTES).subarray(0, HANDSHAKE_PACKET_BYTES));
  return packet;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Collects handshake bytes across pushes (a few KiB at most, plus whatever follows the last packet). */
class ByteAccumulator {
  private bytes = EMPTY;
  append(more: Uint8Array): void {
    if (this.bytes.length === 0) {
      this.bytes = more.slice();
      return;
    }
    const joined = new Uint8Array(this.bytes.length + more.length);
    joined.set(this.bytes);
    joined.set(more, this.bytes.length);
    this.bytes = joined;
  }
  get length(): number {
    return this.bytes.length;
  }
  at(i: number): number | undefined {
    return this.bytes[i];
  }
  take(n: number): Uint8Array {
    const head = this.bytes.subarray(0, n);
    this.bytes = this.bytes.subarray(n);
    return head;
  }
  takeAll(): Uint8Array {
    const all = this.bytes;
    this.bytes = EMPTY;
    return all;
  }
}

export class ServerHandshake {
  private readonly options: HandshakeOptions;
  private readonly input = new ByteAccumulator();
  private stage: 'c0c1' | 'c2' | 'done' = 'c0c1';
  private s1: Uint8Array = EMPTY;
  private c1Digest: Uint8Array | null = null;
  private s1Digest: Uint8Array | null = null;
  private c2Verified = false;

  constructor(options: HandshakeOptions) {
    this.options = options;
  }

  /** True if the client's C1 carried a valid digest and we answered with a digest handshake. */
  get usedDigest(): boolean {
    return this.c1Digest !== null;
  }
  /** True once C2 matched what we expect (signed S1 digest, or S1 echo). Informational: never enforced. */
  get peerVerified(): boolean {
    return this.c2Verified;
  }

  /** Feed bytes; returns bytes to send, whether the handshake is complete, and any bytes after C2 (start of chunk stream). */
  push(bytes: Uint8Array): HandshakeResult {
    if (this.stage === 'done') return { output: [], done: true, rest: bytes };
    this.input.append(bytes);
    const output: Uint8Array[] = [];
    if (this.stage === 'c0c1') {
      const version = this.input.at(0);
      if (version !== undefined) checkVersion(version, 'client');
      if (this.input.length < 1 + HANDSHAKE_PACKET_BYTES) return { output, done: false, rest: EMPTY };
      this.input.take(1);
      output.push(this.answerC1(this.input.take(HANDSHAKE_PACKET_BYTES).slice()));
      this.stage = 'c2';
    }
    if (this.input.length < HANDSHAKE_PACKET_BYTES) return { output, done: false, rest: EMPTY };
    const c2 = this.input.take(HANDSHAKE_PACKET_BYTES);
    this.c2Verified =
      this.s1Digest !== null ? verifyResponse(c2, GENUINE_FP_KEY, this.s1Digest) : equalBytes(c2, this.s1);
    this.stage = 'done';
    this.s1 = EMPTY;
    return { output, done: true, rest: this.input.takeAll() };
  }

  /** Builds S0+S1+S2 in one buffer. */
  private answerC1(c1: Uint8Array): Uint8Array {
    const found = findDigest(c1, GENUINE_FP_KEY.subarray(0, GENUINE_FP_KEY_PART_BYTES));
    const reply = new Uint8Array(1 + 2 * HANDSHAKE_PACKET_BYTES);
    reply[0] = RtmpVersion.Plain;
    let s1: Uint8Array;
    let s2: Uint8Array;
    if (found !== null) {
      this.c1Digest = found.digest;
      s1 = makePacket(this.options, SERVER_VERSION);
      this.s1Digest = imprintDigest(s1, found.scheme, GENUINE_FMS_KEY.subarray(0, GENUINE_FMS_KEY_PART_BYTES));
      s2 = randomPacket(this.options);
      signResponse(s2, GENUINE_FMS_KEY, found.digest);
    } else {
      s1 = makePacket(this.options, [0, 0, 0, 0]);
      s2 = c1; // simple handshake: S2 echoes C1
    }
    this.s1 = s1;
    reply.set(s1, 1);
    reply.set(s2, 1 + HANDSHAKE_PACKET_BYTES);
    return reply;
  }
}

export class ClientHandshake {
  private readonly options: HandshakeOptions & { digest: boolean };
  private readonly input = new ByteAccumulator();
  private c1: Uint8Array = EMPTY;
  private c1Digest: Uint8Array | null = null;
  private finished = false;
  private verified = false;

  /** `digest` (default true): send a scheme-0 digest C1 like Flash Player and ffmpeg do. */
  constructor(options: HandshakeOptions & { digest?: boolean }) {
    this.options = { ...options, digest: options.digest ?? true };
  }

  /** True once the server's S1 digest and S2 signature checked out (false for a simple-handshake server). */
  get serverVerified(): boolean {
    return this.verified;
  }

  /** C0+C1, to send first. */
  start(): Uint8Array {
    const c1 = makePacket(this.options, this.options.digest ? CLIENT_VERSION : [0, 0, 0, 0]);
    if (this.options.digest) {
      this.c1Digest = imprintDigest(c1, DigestScheme.Scheme0, GENUINE_FP_KEY.subarray(0, GENUINE_FP_KEY_PART_BYTES));
    }
    this.c1 = c1;
    const out = new Uint8Array(1 + HANDSHAKE_PACKET_BYTES);
    out[0] = RtmpVersion.Plain;
    out.set(c1, 1);
    return out;
  }

  /** Feed S0/S1/S2 bytes; once all arrived, returns C2 to send and any bytes after S2. */
  push(bytes: Uint8Array): HandshakeResult {
    if (this.finished) return { output: [], done: true, rest: bytes };
    if (this.c1.length === 0) throw new ProtocolError(ProtocolErrorCode.BadState, 'ClientHandshake.push before start');
    this.input.append(bytes);
    const version = this.input.at(0);
    if (version !== undefined) checkVersion(version, 'server');
    if (this.input.length < 1 + 2 * HANDSHAKE_PACKET_BYTES) return { output: [], done: false, rest: EMPTY };
    this.input.take(1);
    const s1 = this.input.take(HANDSHAKE_PACKET_BYTES).slice();
    const s2 = this.input.take(HANDSHAKE_PACKET_BYTES);
    let c2: Uint8Array = s1; // simple handshake: C2 echoes S1
    const found =
      this.c1Digest !== null ? findDigest(s1, GENUINE_FMS_KEY.subarray(0, GENUINE_FMS_KEY_PART_BYTES)) : null;
    if (found !== null && this.c1Digest !== null) {
      if (verifyResponse(s2, GENUINE_FMS_KEY, this.c1Digest)) {
        this.verified = true;
      } else if (!equalBytes(s2, this.c1)) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, 'server S2 signature does not match our C1 digest');
      }
      c2 = randomPacket(this.options);
      signResponse(c2, GENUINE_FP_KEY, found.digest);
    }
    this.finished = true;
    return { output: [c2], done: true, rest: this.input.takeAll() };
  }
}

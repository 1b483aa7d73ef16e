// Bounded, seeded fuzzing: garbage and mutated captures only ever return or throw ProtocolError, and always finish.
import { expect, test } from 'bun:test';
import { decodeAmf0, encodeAmf0, type Amf0Value } from '../../src/rtmp/amf0.ts';
import { ChunkReader } from '../../src/rtmp/chunk-reader.ts';
import { ServerSession } from '../../src/rtmp/server-session.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { seededBytes, seededRandom } from './helpers.ts';

const capture = new Uint8Array(await Bun.file(new URL('../fixtures/rtmp/ffmpeg-publish.bin', import.meta.url)).arrayBuffer());
const HANDSHAKE_BYTES = 1 + 1536 + 1536;

/** Runs `fn`; a ProtocolError counts as a clean rejection, anything else fails the test. */
function survives(fn: () => void): 'ok' | 'rejected' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return 'rejected';
    throw err;
  }
}

function mutate(source: Uint8Array, rand: () => number, maxEdits: number): Uint8Array {
  const bytes = source.slice();
  const edits = 1 + Math.floor(rand() * maxEdits);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * bytes.length);
    const kind = rand();
    if (kind < 0.5) bytes[at] = Math.floor(rand() * 256);
    else if (kind < 0.8) bytes[at] = bytes[at]! ^ (1 << Math.floor(rand() * 8));
    else bytes[at] = [0x00, 0xff, 0x7f, 0x80, 0x03, 0xc3, 0x09][Math.floor(rand() * 7)]!;
  }
  return bytes;
}

function pushInPieces(push: (b: Uint8Array) => unknown, bytes: Uint8Array, rand: () => number): void {
  for (let offset = 0; offset < bytes.length; ) {
    const size = 1 + Math.floor(rand() * 600);
    push(bytes.subarray(offset, offset + size));
    offset += size;
  }
}

test('ChunkReader: random bytes and mutated capture', () => {
  const rand = seededRandom(101);
  const random = seededBytes(102);
  const chunkStream = capture.subarray(HANDSHAKE_BYTES, HANDSHAKE_BYTES + 8192);
  const outcomes = { ok: 0, rejected: 0 };
  for (let i = 0; i < 3000; i++) {
    const bytes = i % 2 === 0 ? random(Math.floor(rand() * 400)) : mutate(chunkStream, rand, 6);
    const reader = new ChunkReader({ maxMessageSizeBytes: 1 << 20 });
    outcomes[survives(() => pushInPieces((b) => reader.push(b), bytes, rand))]++;
  }
  expect(outcomes.ok).toBeGreaterThan(0);
  expect(outcomes.rejected).toBeGreaterThan(0);
});

function randomValue(rand: () => number, depth: number): Amf0Value {
  const pick = Math.floor(rand() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0: return rand() * 1e6;
    case 1: return rand() < 0.5;
    case 2: return 'k'.repeat(Math.floor(rand() * 20));
    case 3: return null;
    case 4: return undefined;
    case 5: return new Date(Math.floor(rand() * 1e12));
    case 6: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const o: Record<string, Amf0Value> = {};
      for (let k = Math.floor(rand() * 4); k > 0; k--) o[`p${k}`] = randomValue(rand, depth + 1);
      return o;
    }
  }
}

test('decodeAmf0: random bytes, mutated encodings and round trips', () => {
  const rand = seededRandom(201);
  const random = seededBytes(202);
  const outcomes = { ok: 0, rejected: 0 };
  for (let i = 0; i < 4000; i++) {
    const values = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => randomValue(rand, 0));
    const encoded = encodeAmf0(values);
    if (i % 4 === 0) expect(decodeAmf0(encoded)).toEqual(values);
    const bytes = i % 2 === 0 ? random(Math.floor(rand() * 200)) : mutate(encoded, rand, 4);
    outcomes[survives(() => void decodeAmf0(bytes, { maxDepth: 8 }))]++;
  }
  expect(outcomes.ok).toBeGreaterThan(0);
  expect(outcomes.rejected).toBeGreaterThan(0);
});

test('ServerSession: mutated captures and garbage after a valid handshake', () => {
  const rand = seededRandom(301);
  const random = seededBytes(302);
  const head = capture.subarray(0, HANDSHAKE_BYTES + 6000);
  const outcomes = { ok: 0, rejected: 0 };
  for (let i = 0; i < 1500; i++) {
    let bytes: Uint8Array;
    if (i % 3 === 0) {
      bytes = new Uint8Array(HANDSHAKE_BYTES + Math.floor(rand() * 600));
      bytes.set(head.subarray(0, HANDSHAKE_BYTES));
      bytes.set(random(bytes.length - HANDSHAKE_BYTES), HANDSHAKE_BYTES);
    } else {
      // mutate after C0 mostly, so most runs get past the handshake
      bytes = mutate(head, rand, 6);
      bytes[0] = i % 50 === 0 ? bytes[0]! : 3;
    }
    const session = new ServerSession({ randomBytes: random, epochMs: 0, maxMessageSizeBytes: 1 << 20 });
    const run = () =>
      pushInPieces(
        (b) => {
          for (const event of session.push(b)) {
            if (event.type === 'connect') session.acceptConnect();
            else if (event.type === 'publish') session.acceptPublish(event.streamId);
            else if (event.type === 'play') session.acceptPlay(event.streamId);
          }
          session.takeOutgoing();
        },
        bytes,
        rand,
      );
    outcomes[survives(run)]++;
  }
  expect(outcomes.ok).toBeGreaterThan(0);
  expect(outcomes.rejected).toBeGreaterThan(0);
});

import { describe, expect, test } from 'bun:test';
import { ClientHandshake, ServerHandshake } from '../../src/rtmp/handshake.ts';
import {
  DigestScheme,
  GENUINE_FMS_KEY,
  GENUINE_FMS_KEY_PART_BYTES,
  GENUINE_FP_KEY,
  GENUINE_FP_KEY_PART_BYTES,
  findDigest,
  imprintDigest,
  verifyResponse,
} from '../../src/rtmp/handshake-digest.ts';
import { ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { concat, expectProtocolError, seededBytes } from './helpers.ts';

const FP_PART = GENUINE_FP_KEY.subarray(0, GENUINE_FP_KEY_PART_BYTES);
const FMS_PART = GENUINE_FMS_KEY.subarray(0, GENUINE_FMS_KEY_PART_BYTES);

function runHandshake(digest: boolean, split: number) {
  const server = new ServerHandshake({ randomBytes: seededBytes(1), epochMs: 1000 });
  const client = new ClientHandshake({ randomBytes: seededBytes(2), epochMs: 2000, digest });
  const c0c1 = client.start();
  const serverOut: Uint8Array[] = [];
  for (let i = 0; i < c0c1.length; i += split) {
    const r = server.push(c0c1.subarray(i, i + split));
    expect(r.done).toBe(false);
    serverOut.push(...r.output);
  }
  const s012 = concat(...serverOut);
  expect(s012.length).toBe(3073);
  let c2: Uint8Array | undefined;
  for (let i = 0; i < s012.length; i += split) {
    const r = client.push(s012.subarray(i, i + split));
    if (r.done) c2 = concat(...r.output);
  }
  expect(c2?.length).toBe(1536);
  const after = new Uint8Array([0x03, 0x00, 0x00]);
  const r = server.push(concat(c2!, after));
  expect(r.done).toBe(true);
  expect(r.output).toEqual([]);
  expect(r.rest).toEqual(after);
  return { server, client, c0c1, s012, c2: c2! };
}

describe('handshake', () => {
  test('simple handshake: S2 echoes C1, C2 echoes S1', () => {
    const { server, client, c0c1, s012, c2 } = runHandshake(false, 1536);
    expect(server.usedDigest).toBe(false);
    expect(client.serverVerified).toBe(false);
    expect(server.peerVerified).toBe(true);
    expect(s012[0]).toBe(3);
    expect(s012.subarray(1537)).toEqual(c0c1.subarray(1));
    expect(c2).toEqual(s012.subarray(1, 1537));
  });

  test('digest handshake validates both ways', () => {
    for (const split of [1, 700, 4000]) {
      const { server, client, c0c1, s012, c2 } = runHandshake(true, split);
      expect(server.usedDigest).toBe(true);
      expect(client.serverVerified).toBe(true);
      expect(server.peerVerified).toBe(true);
      const c1Digest = findDigest(c0c1.subarray(1), FP_PART);
      expect(c1Digest?.scheme).toBe(DigestScheme.Scheme0);
      const s1Digest = findDigest(s012.subarray(1, 1537), FMS_PART);
      expect(s1Digest?.scheme).toBe(DigestScheme.Scheme0);
      expect(verifyResponse(s012.subarray(1537), GENUINE_FMS_KEY, c1Digest!.digest)).toBe(true);
      expect(verifyResponse(c2, GENUINE_FP_KEY, s1Digest!.digest)).toBe(true);
    }
  });

  test('server answers a scheme 1 C1 with a scheme 1 S1', () => {
    const c1 = seededBytes(5)(1536);
    c1.set([0, 0, 0, 0, 0x80, 0, 7, 2], 0);
    const c1Digest = imprintDigest(c1, DigestScheme.Scheme1, FP_PART);
    const server = new ServerHandshake({ randomBytes: seededBytes(6), epochMs: 0 });
    const { output } = server.push(concat(new Uint8Array([3]), c1));
    const reply = concat(...output);
    expect(findDigest(reply.subarray(1, 1537), FMS_PART)?.scheme).toBe(DigestScheme.Scheme1);
    expect(verifyResponse(reply.subarray(1537), GENUINE_FMS_KEY, c1Digest)).toBe(true);
  });

  test('C1 with version bytes but no valid digest gets a simple handshake', () => {
    const c1 = seededBytes(7)(1536);
    c1.set([0, 0, 0, 0, 9, 0, 124, 2], 0);
    const server = new ServerHandshake({ randomBytes: seededBytes(8), epochMs: 0 });
    const reply = concat(...server.push(concat(new Uint8Array([3]), c1)).output);
    expect(server.usedDigest).toBe(false);
    expect(reply.subarray(1537)).toEqual(c1);
  });

  test('client rejects a bad S2 signature from a digest server', () => {
    const server = new ServerHandshake({ randomBytes: seededBytes(1), epochMs: 0 });
    const client = new ClientHandshake({ randomBytes: seededBytes(2), epochMs: 0 });
    const s012 = concat(...server.push(client.start()).output);
    s012[3000] = s012[3000]! ^ 1;
    expectProtocolError(() => client.push(s012), ProtocolErrorCode.Malformed);
  });

  test('version checks', () => {
    const server = () => new ServerHandshake({ randomBytes: seededBytes(1), epochMs: 0 });
    expectProtocolError(() => server().push(new Uint8Array([6])), ProtocolErrorCode.Unsupported);
    expectProtocolError(() => server().push(new Uint8Array([0x47, 0x45, 0x54])), ProtocolErrorCode.Malformed);
    const client = new ClientHandshake({ randomBytes: seededBytes(2), epochMs: 0 });
    client.start();
    expectProtocolError(() => client.push(new Uint8Array([4])), ProtocolErrorCode.Malformed);
  });

  test('bytes after done pass straight through', () => {
    const { server } = runHandshake(true, 5000);
    const more = new Uint8Array([1, 2, 3]);
    expect(server.push(more)).toEqual({ output: [], done: true, rest: more });
  });
});

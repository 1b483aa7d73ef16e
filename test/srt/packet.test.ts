// Byte-level tests of the SRT packet codec: every packet type built by hand from the field
// layouts of draft-sharabayko-srt-01 §3, decoded, and encoded back to the same bytes.
import { describe, expect, test } from 'bun:test';
import { decodePacket, encodePacket } from '../../src/srt/packet.ts';
import type { SrtPacket } from '../../src/srt/packet-types.ts';
import { hex, toHex } from './helpers.ts';
import { expectProtocolError } from '../protocol-errors.ts';

function roundTrip(bytes: string, expected: SrtPacket): void {
  const decoded = decodePacket(hex(bytes));
  expect(decoded).toEqual(expected);
  expect(toHex(encodePacket(decoded))).toBe(toHex(hex(bytes)));
}

const H = { timestampUs: 0x01020304, destSocketId: 0x0a0b0c0d };

describe('data packet (§3.1)', () => {
  test('sequence number, PP/O/KK/R flags, message number, timestamp, socket id, payload', () => {
    // seq 0x12345678; PP=11 O=1 KK=01 R=1 msgno=0x0000abc -> 1110 1100 ... = 0xec000abc
    roundTrip('12345678 ec000abc 01020304 0a0b0c0d 4701', {
      type: 'data', seq: 0x12345678, position: 3, inOrder: true, keyFlag: 1, retransmitted: true, messageNumber: 0xabc, ...H, payload: hex('4701'),
    });
    // PP=10 (first) O=0 KK=10 (odd) R=0, msgno max
    roundTrip('7fffffff 93ffffff 01020304 0a0b0c0d', {
      type: 'data', seq: 0x7fffffff, position: 2, inOrder: false, keyFlag: 2, retransmitted: false, messageNumber: 0x3ffffff, ...H, payload: new Uint8Array(0),
    });
  });
});

describe('control packets (§3.2)', () => {
  test('keepalive, shutdown and congestion warning carry one padding word', () => {
    roundTrip('80010000 00000000 01020304 0a0b0c0d 00000000', { type: 'keepalive', ...H });
    roundTrip('80050000 00000000 01020304 0a0b0c0d 00000000', { type: 'shutdown', ...H });
    roundTrip('80040000 00000000 01020304 0a0b0c0d 00000000', { type: 'congestion-warning', ...H });
    // libsrt-less peers may send none: still decoded
    expect(decodePacket(hex('80010000 00000000 01020304 0a0b0c0d')).type).toBe('keepalive');
  });
  test('full ACK: seven words after the ACK number', () => {
    roundTrip('80020000 00000007 01020304 0a0b0c0d 00000064 000186a0 0000c350 00001ffe 000003e8 00002710 00989680', {
      type: 'ack', ackNumber: 7, variant: 'full', ...H,
      ack: { lastAckSeq: 100, rttUs: 100_000, rttVarUs: 50_000, availableBufferPackets: 8190, packetsPerSecond: 1000, linkCapacityPps: 10_000, receiveRateBps: 10_000_000 },
    });
  });
  test('small ACK (four words) and light ACK (one word)', () => {
    roundTrip('80020000 00000008 01020304 0a0b0c0d 00000065 00002710 00001388 00000010', {
      type: 'ack', ackNumber: 8, variant: 'small', ...H, ack: { lastAckSeq: 101, rttUs: 10_000, rttVarUs: 5000, availableBufferPackets: 16 },
    });
    roundTrip('80020000 00000000 01020304 0a0b0c0d 00000066', { type: 'ack', ackNumber: 0, variant: 'light', ...H, ack: { lastAckSeq: 102 } });
  });
  test('NAK with a compressed loss list: single, range, single', () => {
    roundTrip('80030000 00000000 01020304 0a0b0c0d 00000005 8000000a 0000000f 7fffffff', {
      type: 'nak', ...H, losses: [{ from: 5, to: 5 }, { from: 10, to: 15 }, { from: 0x7fffffff, to: 0x7fffffff }],
    });
  });
  test('ACKACK carries the ACK number it confirms', () => {
    roundTrip('80060000 00000007 01020304 0a0b0c0d 00000000', { type: 'ackack', ackNumber: 7, ...H });
  });
  test('drop request: message number, first and last sequence numbers', () => {
    roundTrip('80070000 00000042 01020304 0a0b0c0d 00000010 00000014', { type: 'dropreq', messageNumber: 0x42, firstSeq: 16, lastSeq: 20, ...H });
  });
  test('peer error carries its code in the type-specific field', () => {
    roundTrip('80080000 00001001 01020304 0a0b0c0d 00000000', { type: 'peer-error', errorCode: 4097, ...H });
  });
  test('user-defined control packet keeps subtype and body (KMREQ refresh)', () => {
    roundTrip('7fff0003 00000000 01020304 0a0b0c0d 12202901'.replace(/^7fff/, 'ffff'), { type: 'user', subtype: 3, body: hex('12202901'), ...H });
  });
  test('handshake induction as libsrt sends it (peer IP word-swapped)', () => {
    const bytes = '80000000 00000000 0000008f 00000000 00000004 00000002 4d48393a 000005dc 00002000 00000001 177ac6d1 00000000 0100007f 00000000 00000000 00000000';
    roundTrip(bytes, {
      type: 'handshake', timestampUs: 0x8f, destSocketId: 0,
      handshake: { version: 4, encryptionField: 0, extensionField: 2, initialSeq: 0x4d48393a, mtu: 1500, flowWindow: 8192, handshakeType: 1, socketId: 0x177ac6d1, synCookie: 0, peerIp: '127.0.0.1', extensions: [] },
    });
  });
  test('handshake conclusion with HSREQ, SID (word-reversed string) and congestion extensions', () => {
    const bytes =
      '80000000 00000000 00000001 00000000' +
      '00000005 00000005 00000001 000005dc 00002000 ffffffff 00000002 00000003 0100007f 00000000 00000000 00000000' +
      '0001 0003 00010500 000000bf 00780050' + // HSREQ: 1.5.0, flags, recv 120 ms, send 80 ms
      '0005 0002 64636261 00006665' + // SID "abcdef" as two swapped words
      '0006 0001 6576696c'; // congestion "live"
    roundTrip(bytes, {
      type: 'handshake', timestampUs: 1, destSocketId: 0,
      handshake: {
        version: 5, encryptionField: 0, extensionField: 5, initialSeq: 1, mtu: 1500, flowWindow: 8192, handshakeType: 0xffffffff, socketId: 2, synCookie: 3, peerIp: '127.0.0.1',
        extensions: [
          { type: 'hsreq', srtVersion: 0x10500, flags: 0xbf, recvLatencyMs: 120, sendLatencyMs: 80 },
          { type: 'sid', streamId: 'abcdef' },
          { type: 'congestion', name: 'live' },
        ],
      },
    });
  });
  test('an IPv6 peer address round-trips', () => {
    const p: SrtPacket = {
      type: 'handshake', ...H,
      handshake: { version: 5, encryptionField: 0, extensionField: 0, initialSeq: 1, mtu: 1500, flowWindow: 8192, handshakeType: 1, socketId: 2, synCookie: 3, peerIp: '::1', extensions: [] },
    };
    const back = decodePacket(encodePacket(p));
    expect(back.type === 'handshake' && back.handshake.peerIp).toBe('0:0:0:0:0:0:0:1');
  });
});

describe('bad bytes throw ProtocolError', () => {
  const cases: [string, string][] = [
    ['short header', '8000000000000000'],
    ['NAK range without end', '80030000 00000000 00000000 00000000 8000000a'],
    ['NAK range end with range bit', '80030000 00000000 00000000 00000000 8000000a 8000000b'],
    ['NAK range backwards', '80030000 00000000 00000000 00000000 8000000a 00000005'],
    ['ACK without body', '80020000 00000001 00000000 00000000'],
    ['drop request without body', '80070000 00000001 00000000 00000000'],
    ['unknown control type', '80090000 00000000 00000000 00000000'],
    ['truncated handshake', '80000000 00000000 00000000 00000000 00000005'],
    ['extension past the end', '80000000 00000000 00000000 00000000' + '00'.repeat(48) + '0001 0010 00000000'],
  ];
  for (const [name, bytes] of cases) {
    test(name, () => {
      expectProtocolError(() => decodePacket(hex(bytes)));
    });
  }
});

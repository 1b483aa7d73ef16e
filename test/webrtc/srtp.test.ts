// SRTP against RFC 3711's test vectors (B.2 AES-CM keystream, B.3 key derivation), and our protection read back:
// RTP decrypts to the original payload with a tag over header, payload and rollover counter; SRTCP round-trips.
import { createCipheriv, createHmac } from 'node:crypto';
import { describe, expect, test } from 'bun:test';
import { encodeRtpPacket } from '../../src/rtsp/rtp-packet.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import { counterIv, deriveSessionKey, deriveSrtpKeys, SrtcpReceiver, SrtpReceiver, SrtpSender } from '../../src/webrtc/srtp.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

describe('RFC 3711 test vectors', () => {
  test('B.2: AES-CM keystream for session key 2B7E…, salt F0F1…FD, SSRC 0, index 0', () => {
    const iv = counterIv(hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'), 0, 0);
    expect(toHex(iv)).toBe('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const cipher = createCipheriv('aes-128-ctr', hex('2B7E151628AED2A6ABF7158809CF4F3C'), iv);
    const stream = toHex(cipher.update(new Uint8Array(48)));
    expect(stream.slice(0, 32)).toBe('E03EAD0935C95E80E166B16DD92B4EB4');
    expect(stream.slice(32, 64)).toBe('D23513162B02D0F72A43A2FE4A5F97AB');
    expect(stream.slice(64, 96)).toBe('41E95B3BB0A2E8DD477901E4FCA894C0');
  });

  test('B.3: session keys derived from master key E1F9… and salt 0EC6…', () => {
    const key = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const salt = hex('0EC675AD498AFEEBB6960B3AABE6');
    expect(toHex(deriveSessionKey(key, salt, 0, 16))).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(toHex(deriveSessionKey(key, salt, 2, 14))).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(toHex(deriveSessionKey(key, salt, 1, 20))).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });
});

describe('SRTP protection', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
  const keys = deriveSrtpKeys(masterKey, masterSalt);
  const payload = Uint8Array.from({ length: 100 }, (_, i) => i);
  const rtp = (seq: number) => encodeRtpPacket({ marker: true, payloadType: 102, sequenceNumber: seq, timestamp: 1234, ssrc: 0xdeadbeef, payload });

  /** what a receiver does (RFC 3711 §3.3): check the tag with the ROC, decrypt with the index */
  const open = (packet: Uint8Array, roc: number) => {
    const body = packet.subarray(12, packet.length - 10);
    const rocBytes = Uint8Array.of(roc >>> 24, (roc >>> 16) & 0xff, (roc >>> 8) & 0xff, roc & 0xff);
    const tag = createHmac('sha1', keys.rtp.auth).update(packet.subarray(0, packet.length - 10)).update(rocBytes).digest().subarray(0, 10);
    expect(toHex(packet.subarray(packet.length - 10))).toBe(toHex(tag));
    const seq = (packet[2]! << 8) | packet[3]!;
    const cipher = createCipheriv('aes-128-ctr', keys.rtp.key, counterIv(keys.rtp.salt, 0xdeadbeef, roc * 65536 + seq));
    return new Uint8Array(cipher.update(body));
  };

  test('RTP: header in the clear, payload encrypted, 80-bit tag; a resend gives the same bytes', () => {
    const sender = new SrtpSender(masterKey, masterSalt);
    const packet = sender.protectRtp(rtp(100));
    expect(packet.length).toBe(12 + 100 + 10);
    expect(packet.subarray(0, 12)).toEqual(rtp(100).subarray(0, 12));
    expect(open(packet, 0)).toEqual(payload);
    expect(sender.protectRtp(rtp(100))).toEqual(packet);
  });

  test('the rollover counter steps when the sequence number wraps, and a late resend keeps the old one', () => {
    const sender = new SrtpSender(masterKey, masterSalt);
    sender.protectRtp(rtp(65534));
    sender.protectRtp(rtp(65535));
    expect(open(sender.protectRtp(rtp(0)), 1)).toEqual(payload);
    expect(open(sender.protectRtp(rtp(65535)), 0)).toEqual(payload);
    expect(open(sender.protectRtp(rtp(1)), 1)).toEqual(payload);
  });

  test('SRTCP: protected by one side, read back by the other; a flipped bit does not authenticate', () => {
    const report = hex('80c90001deadbeef'); // an empty receiver report
    const sender = new SrtpSender(masterKey, masterSalt);
    const receiver = new SrtcpReceiver(masterKey, masterSalt);
    const sealed = sender.protectRtcp(report);
    expect(sealed.length).toBe(8 + 4 + 10);
    expect(receiver.unprotect(sealed)).toEqual(report);
    const longer = hex('81c90007deadbeef0000000100000002000000030000000400000005000000060000');
    expect(receiver.unprotect(sender.protectRtcp(longer.subarray(0, 32)))).toEqual(longer.subarray(0, 32));
    const bad = sealed.slice();
    bad[9]! ^= 1;
    let error: unknown;
    try {
      receiver.unprotect(bad);
    } catch (err) {
      error = err;
    }
    expect(isProtocolError(error)).toBe(true);
    expect(keys.rtcp.key.length).toBe(16);
  });
});

describe('SRTP receive side', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
  const payload = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
  const rtp = (seq: number) => encodeRtpPacket({ marker: false, payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 0x1234, payload });

  test('what a sender protects decrypts back, across a sequence number wrap (rollover counter guessed)', () => {
    const sender = new SrtpSender(masterKey, masterSalt);
    const receiver = new SrtpReceiver(masterKey, masterSalt);
    for (const seq of [65530, 65531, 65535, 0, 1, 2, 65534, 3]) {
      expect(receiver.unprotectRtp(sender.protectRtp(rtp(seq)))).toEqual(rtp(seq));
    }
    const tampered = sender.protectRtp(rtp(4));
    tampered[20]! ^= 0x01;
    expect(() => receiver.unprotectRtp(tampered)).toThrow('does not authenticate');
  });
});

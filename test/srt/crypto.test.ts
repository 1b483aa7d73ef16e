// Encryption pieces (draft-sharabayko-srt-01 §6): RFC 3394 vectors, PBKDF2 parameters, the
// CTR IV construction, and libsrt's own key material and encrypted packets as captured.
import { describe, expect, test } from 'bun:test';
import { pbkdf2Sync } from 'node:crypto';
import { aesKeyUnwrap, aesKeyWrap } from '../../src/srt/aes-key-wrap.ts';
import { DataKeyFlag } from '../../src/srt/constants.ts';
import { findExtension } from '../../src/srt/handshake-common.ts';
import { deriveKek } from '../../src/srt/key-derivation.ts';
import { decryptPayload, mergeKeys, openKeys, sealKeys } from '../../src/srt/key-material.ts';
import { decodeKmMessage, encodeKmMessage } from '../../src/srt/km-message.ts';
import { decodePacket } from '../../src/srt/packet.ts';
import { aesCtr, ctrIv } from '../../src/srt/payload-cipher.ts';
import { SrtSenderKeys } from '../../src/srt/sender-keys.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';
import fixture from './fixtures/libsrt-caller.json';
import { hex, seededBytes, toHex } from './helpers.ts';

describe('AES key wrap (RFC 3394 §4)', () => {
  const vectors: [string, string, string, string][] = [
    ['4.1 128-bit KEK, 128-bit key', '000102030405060708090A0B0C0D0E0F', '00112233445566778899AABBCCDDEEFF', '1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5'],
    ['4.2 192-bit KEK, 128-bit key', '000102030405060708090A0B0C0D0E0F1011121314151617', '00112233445566778899AABBCCDDEEFF', '96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D'],
    ['4.6 256-bit KEK, 256-bit key', '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', '00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', '28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21'],
  ];
  for (const [name, kek, key, wrapped] of vectors) {
    test(name, () => {
      expect(toHex(aesKeyWrap(hex(kek), hex(key)))).toBe(wrapped.toLowerCase());
      expect(toHex(aesKeyUnwrap(hex(kek), hex(wrapped)))).toBe(key.toLowerCase());
    });
  }
  test('a wrong KEK fails the integrity check with ProtocolError', () => {
    const wrapped = hex(vectors[0]![3]);
    expect(() => aesKeyUnwrap(hex('00'.repeat(16)), wrapped)).toThrow();
    try {
      aesKeyUnwrap(hex('00'.repeat(16)), wrapped);
    } catch (err) {
      expect(isProtocolError(err)).toBe(true);
    }
  });
});

describe('key derivation (§6.1.4)', () => {
  test('PBKDF2-HMAC-SHA1 matches RFC 6070 (c=2) for the primitive we call', () => {
    expect(pbkdf2Sync('password', 'salt', 2, 20, 'sha1').toString('hex')).toBe('ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957');
  });
  test('uses 2048 iterations and only the last 8 bytes of the 16-byte salt', () => {
    const salt = hex('00112233445566778899aabbccddeeff');
    const other = hex('ffeeddccbbaa9988' + '8899aabbccddeeff');
    expect(toHex(deriveKek('0123456789abcdef', salt, 16))).toBe(toHex(deriveKek('0123456789abcdef', other, 16)));
    expect(toHex(deriveKek('0123456789abcdef', salt, 16))).toBe(pbkdf2Sync('0123456789abcdef', hex('8899aabbccddeeff'), 2048, 16, 'sha1').toString('hex'));
  });
});

describe('AES-CTR payload cipher (§6.2)', () => {
  test('IV is salt[0..14] XOR (packet index at bytes 10..13), counter bytes zero', () => {
    const salt = hex('0102030405060708090a0b0c0d0e0f10');
    expect(toHex(ctrIv(salt, 0x11223344))).toBe('0102030405060708090a1a2e3e4a0000');
  });
  test('round trip for 128/192/256-bit keys; different sequence numbers give different streams', () => {
    const rnd = seededBytes(1);
    const salt = rnd(16);
    const payload = rnd(1316);
    for (const len of [16, 24, 32]) {
      const key = rnd(len);
      const enc = aesCtr(key, salt, 77, payload);
      expect(toHex(enc)).not.toBe(toHex(payload));
      expect(toHex(aesCtr(key, salt, 77, enc))).toBe(toHex(payload));
      expect(toHex(aesCtr(key, salt, 78, payload))).not.toBe(toHex(enc));
    }
  });
});

describe('key material message (§3.2.2)', () => {
  test('encode/decode round trip, both keys, and bad bytes', () => {
    const rnd = seededBytes(2);
    const keys = { salt: rnd(16), keyLengthBytes: 24, even: rnd(24), odd: rnd(24) };
    const km = sealKeys('a passphrase', keys);
    expect(km.length).toBe(32 + 8 + 48);
    expect(toHex(km.subarray(0, 16))).toBe('12202903' + '00000000' + '02000200' + '00000406');
    const opened = openKeys('a passphrase', km);
    expect(toHex(opened.even!)).toBe(toHex(keys.even));
    expect(toHex(opened.odd!)).toBe(toHex(keys.odd));
    expect(toHex(encodeKmMessage(decodeKmMessage(km)))).toBe(toHex(km));
    expect(() => openKeys('wrong passphrase', km)).toThrow();
    expect(() => decodeKmMessage(km.subarray(0, 40))).toThrow();
    const badCipher = km.slice();
    badCipher[8] = 9;
    expect(() => decodeKmMessage(badCipher)).toThrow();
  });
});

describe("libsrt's real key material (ffmpeg 5.1, passphrase)", () => {
  test('our PBKDF2 + unwrap opens its KMREQ and our CTR decrypts its MPEG-TS packets', () => {
    const conclusion = decodePacket(hex(fixture.encrypted[1]!));
    if (conclusion.type !== 'handshake') throw new Error('not a handshake');
    const kmreq = findExtension(conclusion.handshake, 'kmreq');
    expect(kmreq).toBeDefined();
    const keys = openKeys(fixture.passphrase, kmreq!.body);
    expect(keys.keyLengthBytes).toBe(16);
    for (const h of fixture.encrypted.slice(2)) {
      const data = decodePacket(hex(h));
      if (data.type !== 'data') throw new Error('not data');
      expect(data.keyFlag).toBe(DataKeyFlag.Even);
      expect(data.payload[0]).not.toBe(0x47);
      const plain = decryptPayload(keys, data.keyFlag, data.seq, data.payload);
      expect(plain.length % 188).toBe(0);
      for (let i = 0; i < plain.length; i += 188) expect(plain[i]).toBe(0x47);
    }
    expect(() => openKeys('0123456789abcdeX', kmreq!.body)).toThrow();
  });
});

describe('key refresh (§6.1.6)', () => {
  test('pre-announces the odd key, switches KK at the refresh rate, then withdraws the even key', () => {
    const rnd = seededBytes(3);
    const keys = { salt: rnd(16), keyLengthBytes: 16, even: rnd(16) };
    const sender = new SrtSenderKeys({ passphrase: 'refresh-pass', keys, refreshRatePackets: 10, preAnnouncePackets: 3, randomBytes: rnd });
    let receiverKeys = openKeys('refresh-pass', sealKeys('refresh-pass', keys));
    const flags: number[] = [];
    const announcedAt: number[] = [];
    const payload = new Uint8Array(188).fill(0x47);
    for (let seq = 0; seq < 25; seq++) {
      const out = sender.encrypt(seq, payload);
      if (out.announce) {
        announcedAt.push(seq);
        receiverKeys = mergeKeys(receiverKeys, openKeys('refresh-pass', out.announce));
      }
      flags.push(out.keyFlag);
      expect(decryptPayload(receiverKeys, out.keyFlag, seq, out.payload)[0]).toBe(0x47);
    }
    expect(flags.slice(0, 10).every((f) => f === DataKeyFlag.Even)).toBe(true);
    expect(flags.slice(10, 20).every((f) => f === DataKeyFlag.Odd)).toBe(true);
    expect(flags.slice(20).every((f) => f === DataKeyFlag.Even)).toBe(true);
    // announce both at 7, withdraw even at 13, announce the next even at 17, withdraw odd at 23
    expect(announcedAt).toEqual([7, 13, 17, 23]);
    expect(receiverKeys.even).toBeDefined();
  });
});

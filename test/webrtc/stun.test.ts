// STUN codec against the RFC 5769 test vectors (§2.1 request, §2.2 IPv4 response, §2.3 IPv6 response), our own
// encoding read back, and the ICE-lite answer to a connectivity check.
import { describe, expect, test } from 'bun:test';
import { answerBinding, bindingUsername } from '../../src/webrtc/ice-lite.ts';
import {
  StunAttr, StunClass, StunMethod, checkFingerprint, checkIntegrity, decodeXorMappedAddress, encodeStunMessage, encodeXorMappedAddress,
  looksLikeStun, parseStunMessage, stunAttribute,
} from '../../src/webrtc/stun.ts';
import { isProtocolError } from '../../src/shared/protocol-error.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const utf8 = (s: string) => new TextEncoder().encode(s);

// RFC 5769 §2.1: sample request, password "VOkJxbRl1RmTxUk/WvJxBt"
const REQUEST = hex(`
  000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374
  20636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576
  746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2
  80280004e57a3bcf`);
// §2.2: sample IPv4 response, 192.0.2.1 port 32853
const RESPONSE_V4 = hex(`
  0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f
  7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53
  f06be7d780280004c07d4c96`);
// §2.3: sample IPv6 response, 2001:db8:1234:5678:11:2233:4455:6677 port 32853
const RESPONSE_V6 = hex(`
  010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f
  7220002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e
  4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c`);
const PASSWORD = utf8('VOkJxbRl1RmTxUk/WvJxBt');

describe('RFC 5769 test vectors', () => {
  test('sample request: attributes, USERNAME, MESSAGE-INTEGRITY and FINGERPRINT check', () => {
    expect(looksLikeStun(REQUEST)).toBe(true);
    const m = parseStunMessage(REQUEST);
    expect(m.cls).toBe(StunClass.Request);
    expect(m.method).toBe(StunMethod.Binding);
    expect(new TextDecoder().decode(stunAttribute(m, StunAttr.Username))).toBe('evtj:h6vY');
    expect(bindingUsername(m)).toEqual({ local: 'evtj', remote: 'h6vY' });
    expect(checkIntegrity(m, PASSWORD)).toBe(true);
    expect(checkIntegrity(m, utf8('wrong password'))).toBe(false);
    expect(checkFingerprint(m)).toBe(true);
  });

  test('sample IPv4 response: XOR-MAPPED-ADDRESS decodes and encodes, checks pass', () => {
    const m = parseStunMessage(RESPONSE_V4);
    expect(m.cls).toBe(StunClass.Success);
    const value = stunAttribute(m, StunAttr.XorMappedAddress)!;
    expect(decodeXorMappedAddress(value, m.transactionId)).toEqual({ family: 'IPv4', address: '192.0.2.1', port: 32853 });
    expect(encodeXorMappedAddress({ family: 'IPv4', address: '192.0.2.1', port: 32853 }, m.transactionId)).toEqual(value);
    expect(checkIntegrity(m, PASSWORD)).toBe(true);
    expect(checkFingerprint(m)).toBe(true);
  });

  // Alike in shape to the IPv4 sample above: RFC 5769's two response vectors, each with its own address family and values.
  test('sample IPv6 response', () => {
    const m = parseStunMessage(RESPONSE_V6);
    const value = stunAttribute(m, StunAttr.XorMappedAddress)!;
    expect(decodeXorMappedAddress(value, m.transactionId)).toEqual({ family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
    expect(encodeXorMappedAddress({ family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }, m.transactionId)).toEqual(value);
    expect(checkIntegrity(m, PASSWORD)).toBe(true);
    expect(checkFingerprint(m)).toBe(true);
  });

  test('the sample request re-encoded from its attributes (zero padding, so new MACs) reads back and checks', () => {
    const m = parseStunMessage(REQUEST);
    const attributes = m.attributes.filter((a) => a.type !== StunAttr.MessageIntegrity && a.type !== StunAttr.Fingerprint);
    const encoded = encodeStunMessage({ cls: m.cls, method: m.method, transactionId: m.transactionId, attributes, integrityKey: PASSWORD, fingerprint: true });
    const back = parseStunMessage(encoded);
    expect(checkIntegrity(back, PASSWORD)).toBe(true);
    expect(checkFingerprint(back)).toBe(true);
    expect(back.attributes.map((a) => a.type)).toEqual(m.attributes.map((a) => a.type));
    expect(encoded.length).toBe(REQUEST.length);
  });
});

describe('ICE-lite binding answers', () => {
  const transactionId = hex('0102030405060708090a0b0c');
  const check = (username: string, password: string, useCandidate = true) =>
    parseStunMessage(
      encodeStunMessage({
        cls: StunClass.Request,
        method: StunMethod.Binding,
        transactionId,
        attributes: [
          { type: StunAttr.Username, value: utf8(username) },
          { type: StunAttr.Priority, value: hex('6e0001ff') },
          ...(useCandidate ? [{ type: StunAttr.UseCandidate, value: new Uint8Array(0) }] : []),
        ],
        integrityKey: utf8(password),
        fingerprint: true,
      }),
    );
  const credentials = { localUfrag: 'ours', localPwd: 'our-password-of-22+chars', remoteUfrag: 'them' };

  test('a signed check is answered with a signed success carrying the source address', () => {
    const answer = answerBinding(check('ours:them', credentials.localPwd), credentials, { family: 'IPv4', address: '127.0.0.1', port: 50000 });
    expect(answer.useCandidate).toBe(true);
    const response = parseStunMessage(answer.response);
    expect(response.cls).toBe(StunClass.Success);
    expect(response.transactionId).toEqual(transactionId);
    expect(checkIntegrity(response, utf8(credentials.localPwd))).toBe(true);
    expect(checkFingerprint(response)).toBe(true);
    expect(decodeXorMappedAddress(stunAttribute(response, StunAttr.XorMappedAddress)!, transactionId)).toEqual({ family: 'IPv4', address: '127.0.0.1', port: 50000 });
  });

  test('a wrong password, wrong ufrag or unsigned check is refused with a ProtocolError', () => {
    const refuse = (run: () => unknown) => {
      try {
        run();
        return 'answered';
      } catch (err) {
        return isProtocolError(err) ? 'refused' : `threw ${String(err)}`;
      }
    };
    const src = { family: 'IPv4', address: '127.0.0.1', port: 50000 } as const;
    expect(refuse(() => answerBinding(check('ours:them', 'not-the-password-at-all'), credentials, src))).toBe('refused');
    expect(refuse(() => answerBinding(check('other:them', credentials.localPwd), credentials, src))).toBe('refused');
    expect(refuse(() => answerBinding(check('ours:someone', credentials.localPwd), credentials, src))).toBe('refused');
    const unsigned = parseStunMessage(encodeStunMessage({ cls: StunClass.Request, method: StunMethod.Binding, transactionId, attributes: [{ type: StunAttr.Username, value: utf8('ours:them') }] }));
    expect(refuse(() => answerBinding(unsigned, credentials, src))).toBe('refused');
  });
});

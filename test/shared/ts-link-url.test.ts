// srt:// and udp:// link URLs: defaults, what each key sets, and the passphrase hidden and kept by the control plane.
import { describe, expect, test } from 'bun:test';
import { hidePassword, keepStoredPassword } from '../../src/control/services/url-password.ts';
import { checkLinkUrl, isMulticastIpv4, LinkUrlError, parseSrtLinkUrl, parseUdpLinkUrl } from '../../src/shared/ts-link-url.ts';

describe('srt:// (Weir calls)', () => {
  test('defaults: no stream id, no passphrase, AES-128, 120 ms', () => {
    expect(parseSrtLinkUrl('srt://192.0.2.1:9000')).toEqual({ host: '192.0.2.1', port: 9000, streamId: '', passphrase: null, keyLengthBytes: 16, latencyMs: 120 });
  });

  test('every key, the stream id percent-decoded', () => {
    expect(parseSrtLinkUrl('srt://enc.example:9000?mode=caller&streamid=%23!%3A%3Ar%3Dlive%2Fa%2Cm%3Dpublish&passphrase=0123456789&latency=300&pbkeylen=24')).toEqual({
      host: 'enc.example', port: 9000, streamId: '#!::r=live/a,m=publish', passphrase: '0123456789', keyLengthBytes: 24, latencyMs: 300,
    });
  });

  test('bad URLs throw LinkUrlError with the reason', () => {
    for (const url of ['srt://h', 'srt://h:0', 'srt://h:9000/path', 'srt://h:9000?latency=abc', 'srt://h:9000?pbkeylen=20', 'srt://h:9000?streamid=a&streamid=b', 'srt://[::1]:9000']) {
      expect(() => parseSrtLinkUrl(url)).toThrow(LinkUrlError);
    }
  });
});

describe('udp://', () => {
  test('unicast: 7 TS packets a datagram by default; multicast groups are told apart', () => {
    expect(parseUdpLinkUrl('udp://127.0.0.1:5000')).toEqual({ host: '127.0.0.1', port: 5000, multicast: false, interfaceAddress: null, ttl: null, packetBytes: 1316 });
    expect(parseUdpLinkUrl('udp://239.0.0.1:5000?localaddr=10.0.0.2&ttl=8&pkt_size=376')).toEqual({ host: '239.0.0.1', port: 5000, multicast: true, interfaceAddress: '10.0.0.2', ttl: 8, packetBytes: 376 });
    expect([isMulticastIpv4('224.0.0.1'), isMulticastIpv4('239.255.255.255'), isMulticastIpv4('240.0.0.1'), isMulticastIpv4('223.1.1.1')]).toEqual([true, true, false, false]);
  });

  test('other schemes are not link URLs', () => {
    expect(checkLinkUrl('rtmp://h/app/s')).toBeNull();
    expect(() => checkLinkUrl('udp://h:1?interface=1.2.3.4&localaddr=1.2.3.4')).toThrow(/not both/);
  });
});

describe('the SRT passphrase in the control plane', () => {
  test('hidden as ***, with the rest of the URL as written', () => {
    expect(hidePassword('srt://h:9000?streamid=a&passphrase=0123456789&latency=200')).toBe('srt://h:9000?streamid=a&passphrase=***&latency=200');
    expect(hidePassword('srt://h:9000?passphrase=0123456789')).toBe('srt://h:9000?passphrase=***');
    expect(hidePassword('srt://h:9000?streamid=a')).toBe('srt://h:9000?streamid=a');
  });

  test('*** sent back for the same host keeps the stored one, percent-encoding and all', () => {
    expect(keepStoredPassword('srt://h:9000?latency=300&passphrase=***', 'srt://h:9000?passphrase=s%26cret-0123')).toBe('srt://h:9000?latency=300&passphrase=s%26cret-0123');
    expect(keepStoredPassword('srt://other:9000?passphrase=***', 'srt://h:9000?passphrase=0123456789')).toBe('srt://other:9000?passphrase=***');
    expect(keepStoredPassword('srt://h:9000?passphrase=new-phrase-1', 'srt://h:9000?passphrase=0123456789')).toBe('srt://h:9000?passphrase=new-phrase-1');
  });
});

import { describe, expect, test } from 'bun:test';
import {
  contentBase,
  encodeRange,
  encodeRtpInfo,
  encodeSession,
  parseCSeq,
  parsePublic,
  parseRange,
  parseRtpInfo,
  parseSession,
} from '../../src/rtsp/rtsp-headers.ts';
import { encodeTransport, parseTransport } from '../../src/rtsp/rtsp-transport.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';

describe('Transport', () => {
  test('TCP interleaved with mode=record, UDP with ports and ssrc, several specs', () => {
    expect(parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1;mode=record')).toEqual([
      { profile: 'RTP/AVP/TCP', lower: 'tcp', delivery: 'unicast', interleaved: [0, 1], mode: 'record' },
    ]);
    const [udp, tcp] = parseTransport('RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D;mode="PLAY", RTP/AVP/TCP;interleaved=2');
    expect(udp).toEqual({ profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort: [5000, 5001], serverPort: [6970, 6971], ssrc: 0x1a2b3c4d, mode: 'play' });
    expect(tcp!.interleaved).toEqual([2, 3]);
    expect(parseTransport('RTP/AVP/UDP;multicast;destination=224.1.1.1;ttl=16')[0]).toMatchObject({ lower: 'udp', delivery: 'multicast', destination: '224.1.1.1', ttl: 16 });
  });

  test('encode round trip and errors', () => {
    const spec = { profile: 'RTP/AVP', lower: 'udp', delivery: 'unicast', clientPort: [5000, 5001], serverPort: [7000, 7001], ssrc: 0xabc, mode: 'play' } as const;
    expect(encodeTransport(spec)).toBe('RTP/AVP;unicast;client_port=5000-5001;server_port=7000-7001;ssrc=00000ABC;mode=play');
    expect(parseTransport(encodeTransport(spec))[0]).toEqual(spec);
    expect(() => parseTransport('RTP/AVP/TCP;interleaved=300-301')).toThrow(ProtocolError);
    expect(() => parseTransport('RTP/AVP;client_port=x')).toThrow(ProtocolError);
    expect(() => parseTransport('MP2T/H2221/UDP;unicast')).toThrow(ProtocolError);
    expect(() => parseTransport('')).toThrow(ProtocolError);
  });
});

describe('Session, RTP-Info, Range, Public, CSeq, Content-Base', () => {
  test('Session', () => {
    expect(parseSession('12345678;timeout=60')).toEqual({ id: '12345678', timeoutSec: 60 });
    expect(parseSession('ABCdef')).toEqual({ id: 'ABCdef' });
    expect(encodeSession({ id: 'x', timeoutSec: 30 })).toBe('x;timeout=30');
    expect(() => parseSession(';timeout=5')).toThrow(ProtocolError);
  });

  test('RTP-Info, including URLs with commas', () => {
    const v = 'url=rtsp://h/s/trackID=0;seq=4231;rtptime=3450012, url=rtsp://h/a,b/trackID=1;seq=17';
    expect(parseRtpInfo(v)).toEqual([
      { url: 'rtsp://h/s/trackID=0', seq: 4231, rtptime: 3450012 },
      { url: 'rtsp://h/a,b/trackID=1', seq: 17 },
    ]);
    expect(parseRtpInfo(encodeRtpInfo(parseRtpInfo(v)))).toEqual(parseRtpInfo(v));
    expect(() => parseRtpInfo('url=x;seq=70000')).toThrow(ProtocolError);
    expect(() => parseRtpInfo('seq=1')).toThrow(ProtocolError);
  });

  test('Range (npt)', () => {
    expect(parseRange('npt=0-')).toEqual({ startSec: 0 });
    expect(parseRange('npt=now-')).toEqual({});
    expect(parseRange('npt=10.5-20')).toEqual({ startSec: 10.5, endSec: 20 });
    expect(parseRange('npt=0:01:02.5-')).toEqual({ startSec: 62.5 });
    expect(parseRange('clock=19961108T143720.25Z-')).toBeUndefined();
    expect(encodeRange({ startSec: 1.5 })).toBe('npt=1.5-');
    expect(encodeRange({})).toBe('npt=now-');
    expect(() => parseRange('npt=abc-')).toThrow(ProtocolError);
  });

  test('Public, CSeq, Content-Base', () => {
    expect(parsePublic('OPTIONS, DESCRIBE,setup , PLAY')).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']);
    expect(parseCSeq([['cseq', ' 42 ']])).toBe(42);
    expect(parseCSeq([])).toBeUndefined();
    expect(() => parseCSeq([['CSeq', 'x']])).toThrow(ProtocolError);
    expect(contentBase([['Content-Base', 'rtsp://h/b/']], 'rtsp://h/r')).toBe('rtsp://h/b/');
    expect(contentBase([['Content-Location', 'rtsp://h/l']], 'rtsp://h/r')).toBe('rtsp://h/l');
    expect(contentBase([], 'rtsp://h/r')).toBe('rtsp://h/r');
  });
});

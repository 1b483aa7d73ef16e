import { describe, expect, test } from 'bun:test';
import { encodeInterleaved, encodeRequest, encodeResponse } from '../../src/rtsp/rtsp-encode.ts';
import { headerValue, headerValues, type RtspMessage } from '../../src/rtsp/rtsp-message.ts';
import { RtspParser } from '../../src/rtsp/rtsp-parser.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { ascii, concat } from '../flv/hex.ts';

const sdpBody = ascii('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n');
const stream = concat(
  ascii('OPTIONS rtsp://cam/live RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: t\r\n\r\n'),
  ascii(`RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://cam/live/\r\nContent-Type: application/sdp\r\nContent-Length: ${sdpBody.length}\r\n\r\n`),
  sdpBody,
  Uint8Array.of(0x24, 0x00, 0x00, 0x05, 0x80, 0x60, 0x00, 0x01, 0x24), // payload ends in a '$' byte
  ascii('\r\n'), // stray CRLF between messages
  Uint8Array.of(0x24, 0x01, 0x00, 0x00),
  ascii('RTSP/1.0 401 Unauthorized\nCSeq: 3\nWWW-Authenticate: Basic realm="a"\nWWW-Authenticate: Digest realm="a",\n nonce="n"\n\n'),
);

const show = (msgs: RtspMessage[]) => JSON.stringify(msgs, (_k, v) => (v instanceof Uint8Array ? [...v] : v));

describe('RtspParser', () => {
  test('requests, responses with bodies, interleaved frames and bare-LF heads in one stream', () => {
    const msgs = new RtspParser().push(stream);
    expect(msgs.map((m) => m.kind)).toEqual(['request', 'response', 'interleaved', 'interleaved', 'response']);
    const [options, describeRes, rtp, empty, unauthorized] = msgs;
    if (options?.kind !== 'request' || describeRes?.kind !== 'response' || rtp?.kind !== 'interleaved' || unauthorized?.kind !== 'response') throw new Error('kinds');
    expect(options.method).toBe('OPTIONS');
    expect(options.uri).toBe('rtsp://cam/live');
    expect(headerValue(options.headers, 'cseq')).toBe('1');
    expect(describeRes.status).toBe(200);
    expect(describeRes.body).toEqual(sdpBody);
    expect(rtp.channel).toBe(0);
    expect([...rtp.payload]).toEqual([0x80, 0x60, 0x00, 0x01, 0x24]);
    expect(empty).toEqual({ kind: 'interleaved', channel: 1, payload: new Uint8Array(0) });
    expect(unauthorized.status).toBe(401);
    expect(headerValues(unauthorized.headers, 'www-authenticate')).toEqual(['Basic realm="a"', 'Digest realm="a", nonce="n"']);
  });

  test('byte by byte gives the same messages as one push', () => {
    const whole = show(new RtspParser().push(stream));
    const p = new RtspParser();
    const parts: RtspMessage[] = [];
    for (let i = 0; i < stream.length; i++) parts.push(...p.push(stream.subarray(i, i + 1)));
    expect(show(parts)).toBe(whole);
    expect(p.pendingBytes).toBe(0);
  });

  test('every two-way split gives the same messages', () => {
    const whole = show(new RtspParser().push(stream));
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new RtspParser();
      expect(show([...p.push(stream.subarray(0, cut)), ...p.push(stream.subarray(cut))])).toBe(whole);
    }
  });

  test('the encoder output parses back', () => {
    const body = ascii('hello');
    const bytes = concat(
      encodeRequest({ method: 'ANNOUNCE', uri: 'rtsp://h/s', headers: [['CSeq', '7'], ['Content-Type', 'application/sdp']], body }),
      encodeInterleaved(3, Uint8Array.of(1, 2, 3)),
      encodeResponse({ status: 454, headers: [['CSeq', '7']] }),
    );
    const [req, frame, res] = new RtspParser().push(bytes);
    expect(req).toMatchObject({ kind: 'request', method: 'ANNOUNCE', uri: 'rtsp://h/s', version: 'RTSP/1.0', body });
    expect(req?.kind === 'request' && headerValue(req.headers, 'content-length')).toBe('5');
    expect(frame).toEqual({ kind: 'interleaved', channel: 3, payload: Uint8Array.of(1, 2, 3) });
    expect(res).toMatchObject({ kind: 'response', status: 454, reason: 'Session Not Found' });
    expect(() => encodeRequest({ method: 'X', uri: 'u', headers: [['A', 'b\r\nInjected: 1']] })).toThrow(RangeError);
  });

  test('size limits: header block and Content-Length over the caps are ProtocolError too-large', () => {
    const p = new RtspParser({ maxHeaderBytes: 64 });
    expect(() => p.push(ascii(`OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(100)}`))).toThrow(ProtocolError);
    const q = new RtspParser({ maxBodyBytes: 10 });
    try {
      q.push(ascii('RTSP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n'));
      throw new Error('no throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe('too-large');
    }
    const many = `OPTIONS * RTSP/1.0\r\n${Array.from({ length: 70 }, (_, i) => `H${i}: v\r\n`).join('')}\r\n`;
    expect(() => new RtspParser().push(ascii(many))).toThrow(ProtocolError);
  });

  test('garbage is ProtocolError: binary start, bad start line, bad Content-Length, bad header line', () => {
    expect(() => new RtspParser().push(Uint8Array.of(0x80, 0x60))).toThrow(ProtocolError);
    expect(() => new RtspParser().push(ascii('HELLO\r\n\r\n'))).toThrow(ProtocolError);
    expect(() => new RtspParser().push(ascii('RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n'))).toThrow(ProtocolError);
    expect(() => new RtspParser().push(ascii('OPTIONS * RTSP/1.0\r\nno colon\r\n\r\n'))).toThrow(ProtocolError);
  });

  test('a large interleaved stream is parsed without quadratic copying', () => {
    const frame = encodeInterleaved(0, new Uint8Array(1400).fill(7));
    const p = new RtspParser();
    let count = 0;
    for (let i = 0; i < 5000; i++) count += p.push(frame).length;
    expect(count).toBe(5000);
  });
});

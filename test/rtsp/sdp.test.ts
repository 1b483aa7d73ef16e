import { describe, expect, test } from 'bun:test';
import { encodeAvcDecoderConfig } from '../../src/flv/encode-avc.ts';
import { encodeOpusHead } from '../../src/media/opus-head.ts';
import type { Track } from '../../src/media/types.ts';
import { attributes, encodeSdp, fmtp, mediaControlUrl, parseSdp, resolveControl, rtpMap } from '../../src/rtsp/sdp.ts';
import { buildSdp, planTrack } from '../../src/rtsp/sdp-build.ts';
import { describeTracks } from '../../src/rtsp/sdp-tracks.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';

// shaped like a Hikvision camera's DESCRIBE answer, with H.265 and AAC and G.711 sections added
const cameraSdp = [
  'v=0',
  'o=- 1109162014219182 1109162014219192 IN IP4 x.y.z.w',
  's=Media Presentation',
  'e=NONE',
  'b=AS:5050',
  't=0 0',
  'a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast',
  'm=video 0 RTP/AVP 96',
  'c=IN IP4 0.0.0.0',
  'b=AS:5000',
  'a=recvonly',
  'a=x-dimensions:1920,1080',
  'a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==',
  'm=video 0 RTP/AVP 98',
  'a=rtpmap:98 H265/90000',
  'a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ; sprop-sps=QgEBAWAAAAMAkAAAAwAAAwBdoAKAgC0WWVmkkyvAEAAAAwAQAAADAZQg; sprop-pps=RAHBcrRiQA==',
  'a=control:trackID=2',
  'm=audio 0 RTP/AVP 97',
  'a=rtpmap:97 MPEG4-GENERIC/16000/1',
  'a=fmtp:97 streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1408; SizeLength=13; IndexLength=3; IndexDeltaLength=3',
  'a=control:trackID=3',
  'm=audio 0 RTP/AVP 8',
  'a=control:trackID=4',
  'm=audio 0 RTP/AVP 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 sprop-stereo=0',
  'a=control:trackID=5',
  'm=application 0 RTP/AVP 107',
  'a=rtpmap:107 isapi.metadata/90000',
  'm=audio 0 RTP/AVP 100',
  'a=rtpmap:100 MP4A-LATM/44100/2',
  '',
].join('\r\n');

describe('SDP', () => {
  test('parses session and media sections and serializes back byte for byte', () => {
    const sdp = parseSdp(cameraSdp);
    expect(sdp.session.map((l) => l.type)).toEqual(['v', 'o', 's', 'e', 'b', 't', 'a']);
    expect(sdp.media.map((m) => `${m.media}:${m.formats.join(',')}`)).toEqual(['video:96', 'video:98', 'audio:97', 'audio:8', 'audio:111', 'application:107', 'audio:100']);
    expect(encodeSdp(sdp)).toBe(cameraSdp);
    const v = sdp.media[0]!;
    expect(rtpMap(v, '96')).toEqual({ encoding: 'H264', clockRate: 90000 });
    expect(fmtp(v, '96').get('packetization-mode')).toBe('1');
    expect(attributes(v.lines, 'recvonly')).toEqual(['']);
    expect(rtpMap(sdp.media[4]!, '111')).toEqual({ encoding: 'opus', clockRate: 48000, channels: 2 });
  });

  test('describes supported tracks with absolute control URLs and says why others were skipped', () => {
    const { tracks, skipped } = describeTracks(parseSdp(cameraSdp), 'rtsp://192.168.1.64:554/Streaming/Channels/101/');
    expect(tracks.map((t) => [t.params.codec, t.payloadType, t.clockRate, t.channels])).toEqual([
      ['h264', 96, 90000, 1],
      ['h265', 98, 90000, 1],
      ['aac', 97, 16000, 1],
      ['g711a', 8, 8000, 1],
      ['opus', 111, 48000, 2],
    ]);
    expect(tracks[0]!.control).toBe('rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast');
    expect(tracks[1]!.control).toBe('rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2');
    const h264 = tracks[0]!.params;
    if (h264.codec !== 'h264') throw new Error('codec');
    expect(h264.sps[0]![0]! & 0x1f).toBe(7);
    expect(h264.pps[0]![0]! & 0x1f).toBe(8);
    expect(h264.packetizationMode).toBe(1);
    const h265 = tracks[1]!.params;
    if (h265.codec !== 'h265') throw new Error('codec');
    expect([h265.vps.length, h265.sps.length, h265.pps.length]).toEqual([1, 1, 1]);
    const aac = tracks[2]!.params;
    if (aac.codec !== 'aac' || 'latm' in aac) throw new Error('codec');
    expect([...aac.config]).toEqual([0x14, 0x08]);
    expect([aac.sizeLength, aac.indexLength, aac.indexDeltaLength]).toEqual([13, 3, 3]);
    expect(tracks[4]!.params).toEqual({ codec: 'opus', channels: 1 });
    // MP4A-LATM without fmtp: cpresent defaults to 1 (config in band), which is not read (cpresent=0 is: see depacketize-latm.test.ts)
    expect(skipped.map((s) => s.reason)).toEqual(['media application', 'MP4A-LATM with the config in band (cpresent is not 0)']);
  });

  test('control URL resolution (RFC 2326 C.1.1 as players do it)', () => {
    expect(resolveControl('rtsp://h/live', 'trackID=0')).toBe('rtsp://h/live/trackID=0');
    expect(resolveControl('rtsp://h/live/', 'trackID=0')).toBe('rtsp://h/live/trackID=0');
    expect(resolveControl('rtsp://h/cam/realmonitor?channel=1&subtype=0/', 'trackID=0')).toBe('rtsp://h/cam/realmonitor?channel=1&subtype=0/trackID=0');
    expect(resolveControl('rtsp://h/live', '*')).toBe('rtsp://h/live');
    expect(resolveControl('rtsp://h/live', 'RTSP://other/x')).toBe('RTSP://other/x');
    const sdp = parseSdp('v=0\r\ns=x\r\na=control:rtsp://h/agg\r\nm=video 0 RTP/AVP 96\r\n');
    expect(mediaControlUrl(sdp, sdp.media[0]!, 'rtsp://h/base')).toBe('rtsp://h/agg');
  });

  test('bad SDP is ProtocolError', () => {
    expect(() => parseSdp('o=- 1 1 IN IP4 h\r\n')).toThrow(ProtocolError);
    expect(() => parseSdp('v=0\r\nm=video x RTP/AVP 96\r\n')).toThrow(ProtocolError);
    expect(() => parseSdp('v=0\r\nnot a line\r\n')).toThrow(ProtocolError);
    expect(() => parseSdp(`v=0\r\n${'a=x\r\n'.repeat(20000)}`)).toThrow(ProtocolError);
    const badConfig = parseSdp('v=0\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/44100/2\r\na=fmtp:97 mode=AAC-hbr;sizelength=13;config=zz\r\n');
    expect(() => describeTracks(badConfig, 'rtsp://h/')).toThrow(ProtocolError);
    const badMode = parseSdp('v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=2\r\n');
    expect(describeTracks(badMode, 'rtsp://h/').skipped[0]!.reason).toContain('packetization-mode=2');
  });

  test('a built SDP for every codec describes the same tracks back', () => {
    const sps = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8);
    const pps = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
    const tracks: Track[] = [
      { id: 1, kind: 'video', codec: 'h264', timescale: 90000, config: encodeAvcDecoderConfig([sps], [pps]) },
      { id: 2, kind: 'audio', codec: 'aac', timescale: 90000, config: Uint8Array.of(0x12, 0x10) },
      { id: 3, kind: 'audio', codec: 'opus', timescale: 90000, config: encodeOpusHead(2) },
      { id: 4, kind: 'audio', codec: 'g711u', timescale: 90000, config: new Uint8Array(0) },
    ];
    const plans = tracks.map((t, i) => planTrack(t, i, `trackID=${i}`));
    const text = encodeSdp(buildSdp(plans, { sessionName: 'live/cam', sessionId: '123', originAddress: '127.0.0.1' }));
    const { tracks: back, skipped } = describeTracks(parseSdp(text), 'rtsp://h:8554/live/cam');
    expect(skipped).toEqual([]);
    expect(back.map((t) => [t.params.codec, t.payloadType, t.clockRate, t.control])).toEqual([
      ['h264', 96, 90000, 'rtsp://h:8554/live/cam/trackID=0'],
      ['aac', 97, 44100, 'rtsp://h:8554/live/cam/trackID=1'],
      ['opus', 98, 48000, 'rtsp://h:8554/live/cam/trackID=2'],
      ['g711u', 0, 8000, 'rtsp://h:8554/live/cam/trackID=3'],
    ]);
    const h = back[0]!.params;
    expect(h.codec === 'h264' && [...h.sps[0]!]).toEqual([...sps]);
    expect(h.codec === 'h264' && [...h.pps[0]!]).toEqual([...pps]);
    expect(back[1]!.params.codec === 'aac' && [...(back[1]!.params as { config: Uint8Array }).config]).toEqual([0x12, 0x10]);
    expect(back[2]!.params).toEqual({ codec: 'opus', channels: 2 });
    expect(plans[0]!.parameterSets).toEqual([sps, pps]);
    expect(() => planTrack({ ...tracks[0]!, codec: 'vp9' }, 0, 'x')).toThrow(ProtocolError);
  });
});

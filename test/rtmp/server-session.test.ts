import { describe as group, expect, test } from 'bun:test';
import { encodeAmf0 } from '../../src/rtmp/amf0.ts';
import {
  pingRequestMessage, pingResponseMessage, RtmpMessageType, setPeerBandwidthMessage, windowAckSizeMessage,
} from '../../src/rtmp/message-types.ts';
import { ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { concat, expectProtocolError } from './helpers.ts';
import { ScriptedClient, command, commandInfo, describe, media } from './scripted-client.ts';

function connected(app = 'live', tcUrl = 'rtmp://h/live'): ScriptedClient {
  const c = new ScriptedClient();
  c.handshake();
  c.command(0, 'connect', 1, { app, tcUrl, flashVer: 'FMLE/3.0', objectEncoding: 0 });
  c.session.acceptConnect();
  c.received();
  return c;
}

group('ServerSession connect', () => {
  test('connect event with queries split, accept sends control messages then _result', () => {
    const c = new ScriptedClient();
    c.handshake();
    expect(c.session.bytesReceived).toBe(1537 + 1536);
    const events = c.command(0, 'connect', 1, { app: 'live?token=x', tcUrl: 'rtmp://h/live?token=x', flashVer: 'FMLE/3.0', objectEncoding: 3 });
    expect(events).toEqual([
      { type: 'connect', transactionId: 1, app: 'live', tcUrl: 'rtmp://h/live?token=x', query: 'token=x', flashVer: 'FMLE/3.0', objectEncoding: 3 },
    ]);
    expect(c.received()).toEqual([]);
    c.session.acceptConnect();
    expect(c.received().map(describe)).toEqual([
      { csid: 2, type: 5, msid: 0, body: '002625a0' },
      { csid: 2, type: 6, msid: 0, body: '002625a002' },
      { csid: 2, type: 1, msid: 0, body: '00001000' },
      {
        csid: 3, type: 20, msid: 0,
        body: ['_result', 1, { fmsVer: 'FMS/3,0,1,123', capabilities: 31, mode: 1 },
          { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 3 }],
      },
    ]);
    expect(c.reader.chunkSize).toBe(4096);
    expect(c.session.outChunkSize).toBe(4096);
  });

  test('query from tcUrl when app has none; trailing slash trimmed', () => {
    const c = new ScriptedClient();
    c.handshake(false);
    const [e] = c.command(0, 'connect', 1, { app: 'live/', tcUrl: 'rtmp://h/live?a=1&b=2' });
    expect(e).toMatchObject({ app: 'live', query: 'a=1&b=2', flashVer: '', objectEncoding: 0 });
  });

  test('reject sends _error and later commands are a protocol error', () => {
    const c = new ScriptedClient();
    c.handshake();
    c.command(0, 'connect', 1, { app: 'nope' });
    c.command(0, 'createStream', 2, null); // pipelined: its reply is dropped with the reject
    c.session.rejectConnect('unknown app');
    expect(c.received().map(describe)).toEqual([
      { csid: 3, type: 20, msid: 0, body: ['_error', 1, null, { level: 'error', code: 'NetConnection.Connect.Rejected', description: 'unknown app' }] },
    ]);
    expectProtocolError(() => c.command(0, 'createStream', 3, null), ProtocolErrorCode.BadState);
  });

  test('commands before connect and a second connect are BadState', () => {
    const c = new ScriptedClient();
    c.handshake();
    expectProtocolError(() => c.command(0, 'createStream', 2, null), ProtocolErrorCode.BadState);
    const d = connected();
    expectProtocolError(() => d.command(0, 'connect', 5, { app: 'live' }), ProtocolErrorCode.BadState);
  });

  test('pipelined commands: replies held until the connect reply went out', () => {
    const c = new ScriptedClient();
    c.handshake();
    const events = c.send(command(0, ['connect', 1, { app: 'live' }]), command(0, ['createStream', 2, null]));
    expect(events.map((e) => e.type)).toEqual(['connect']);
    expect(c.received()).toEqual([]);
    c.session.acceptConnect();
    const bodies = c.received().filter((m) => m.typeId === 20).map((m) => describe(m).body as unknown[]);
    expect(bodies.map((b) => [b[0], b[1]])).toEqual([['_result', 1], ['_result', 2]]);
    expect(bodies[1]![3]).toBe(1);
  });
});

group('ServerSession publish', () => {
  test('connect, releaseStream, FCPublish, createStream, publish, media, FCUnpublish, deleteStream', () => {
    const c = connected();
    c.setChunkSize(4096);
    c.command(0, 'releaseStream', 2, null, 'stream?key=abc');
    c.command(0, 'FCPublish', 3, null, 'stream?key=abc');
    c.command(0, 'createStream', 4, null);
    const replies = c.received().map(describe);
    expect(replies).toEqual([
      { csid: 3, type: 20, msid: 0, body: ['_result', 2, null] },
      { csid: 3, type: 20, msid: 0, body: ['_result', 3, null] },
      { csid: 3, type: 20, msid: 0, body: ['onFCPublish', 0, null, { code: 'NetStream.Publish.Start', description: 'stream?key=abc' }] },
      { csid: 3, type: 20, msid: 0, body: ['_result', 4, null, 1] },
    ]);
    expect(c.command(1, 'publish', 5, null, 'stream?key=abc', 'live')).toEqual([
      { type: 'publish', streamId: 1, streamName: 'stream', query: 'key=abc', publishType: 'live' },
    ]);
    c.session.acceptPublish(1);
    expect(c.received().map(describe)).toEqual([
      { csid: 2, type: 4, msid: 0, body: '000000000001' },
      { csid: 3, type: 20, msid: 1, body: ['onStatus', 0, null, { level: 'status', code: 'NetStream.Publish.Start', description: 'stream is now published.', details: 'stream' }] },
    ]);

    const metadata = encodeAmf0(['onMetaData', { width: 320 }]);
    const video = new Uint8Array(10_000).map((_, i) => i & 0xff);
    const events = c.send(
      media(18, 1, 0, concat(encodeAmf0(['@setDataFrame']), metadata)),
      media(9, 1, 0, video),
      media(8, 1, 0x1000000, new Uint8Array([0xaf, 1, 2])),
      media(18, 1, 5, encodeAmf0(['onCuePoint', 'x'])),
    );
    expect(events).toEqual([
      { type: 'media', streamId: 1, messageType: 18, timestamp: 0, payload: metadata },
      { type: 'media', streamId: 1, messageType: 9, timestamp: 0, payload: video },
      { type: 'media', streamId: 1, messageType: 8, timestamp: 0x1000000, payload: new Uint8Array([0xaf, 1, 2]) },
      { type: 'media', streamId: 1, messageType: 18, timestamp: 5, payload: encodeAmf0(['onCuePoint', 'x']) },
    ]);
    expect(c.command(0, 'FCUnpublish', 6, null, 'stream?key=abc')).toEqual([{ type: 'unpublish', streamId: 1 }]);
    expect(c.command(0, 'deleteStream', 7, null, 1)).toEqual([]);
    expect(c.send(media(9, 1, 40, video))).toEqual([]);
    const bodies = c.received().map((m) => describe(m).body as unknown[]);
    expect(bodies.map((b) => b[0])).toEqual(['onStatus', '_result', 'onFCUnpublish']);
  });

  test('aggregate messages are split with rebased timestamps', () => {
    const c = connected();
    c.command(0, 'createStream', 2, null);
    c.command(1, 'publish', 3, null, 'agg');
    c.session.acceptPublish(1);
    const sub = (type: number, ts: number, body: number[]) => {
      const b = new Uint8Array(11 + body.length + 4);
      b.set([type, 0, 0, body.length, (ts >> 16) & 0xff, (ts >> 8) & 0xff, ts & 0xff, ts >>> 24, 0, 0, 0]);
      b.set(body, 11);
      b.set([0, 0, 0, 11 + body.length], 11 + body.length);
      return b;
    };
    const payload = concat(sub(9, 1000, [0x17, 1]), sub(8, 1020, [0xaf, 1]), sub(9, 1040, [0x27, 1]));
    const events = c.send({ chunkStreamId: 6, typeId: RtmpMessageType.Aggregate, timestamp: 50, messageStreamId: 1, payload });
    expect(events.map((e) => (e.type === 'media' ? [e.messageType, e.timestamp, [...e.payload]] : e.type))).toEqual([
      [9, 50, [0x17, 1]], [8, 70, [0xaf, 1]], [9, 90, [0x27, 1]],
    ]);
    expectProtocolError(
      () => c.send({ chunkStreamId: 6, typeId: RtmpMessageType.Aggregate, timestamp: 0, messageStreamId: 1, payload: payload.subarray(0, 12) }),
      ProtocolErrorCode.Malformed,
    );
  });

  test('empty publish name -> BadName, no event; reject returns the stream to idle', () => {
    const c = connected();
    c.command(0, 'createStream', 2, null);
    c.received();
    expect(c.command(1, 'publish', 3, null, '?key=1', 'live')).toEqual([]);
    expect(c.received().map(describe)).toEqual([
      { csid: 3, type: 20, msid: 1, body: ['onStatus', 0, null, { level: 'error', code: 'NetStream.Publish.BadName', description: 'Publish requires a stream name.' }] },
    ]);
    expect(c.command(1, 'publish', 4, null, 's', 'record')).toEqual([{ type: 'publish', streamId: 1, streamName: 's', query: '', publishType: 'record' }]);
    expect(c.send(media(9, 1, 0, new Uint8Array([1])))).toHaveLength(1); // media while the decision is pending reaches the caller
    c.session.rejectPublish(1, 'NetStream.Publish.BadName', 'taken');
    expect(c.received().map((m) => commandInfo(m).code)).toEqual(['NetStream.Publish.BadName']);
    expect(c.send(media(9, 1, 0, new Uint8Array([1])))).toEqual([]);
    expectProtocolError(() => c.command(7, 'publish', 5, null, 's'), ProtocolErrorCode.BadState);
  });

  test('closeStream and deleteStream of a publishing stream raise unpublish once', () => {
    const c = connected();
    c.command(0, 'createStream', 2, null);
    c.command(0, 'createStream', 3, null);
    expect(c.received().map((m) => (describe(m).body as unknown[])[3])).toEqual([1, 2]);
    c.command(2, 'publish', 4, null, 'a');
    c.session.acceptPublish(2);
    expect(c.command(2, 'closeStream', 0, null)).toEqual([{ type: 'unpublish', streamId: 2 }]);
    expect(c.command(0, 'deleteStream', 0, null, 2)).toEqual([]);
    c.command(1, 'publish', 5, null, 'b');
    expect(c.command(0, 'deleteStream', 0, null, 1)).toEqual([{ type: 'unpublish', streamId: 1 }]);
  });
});

group('ServerSession play', () => {
  test('connect, createStream, play, accept, endPlay', () => {
    const c = connected();
    c.command(0, 'createStream', 2, null);
    c.received();
    c.command(0, 'getStreamLength', 3, null, 'cam');
    expect(c.received().map((m) => describe(m).body)).toEqual([['_result', 3, null, 0]]);
    expect(c.command(1, 'play', 4, null, 'cam?sig=1', -2000, -1)).toEqual([{ type: 'play', streamId: 1, streamName: 'cam', query: 'sig=1' }]);
    c.command(1, 'receiveAudio', 0, null, true);
    c.session.acceptPlay(1);
    const received = c.received();
    const replies = received.map(describe);
    expect(replies.map((r) => [r.csid, r.type, r.msid])).toEqual([[2, 4, 0], [3, 20, 1], [3, 20, 1], [3, 18, 1]]);
    expect(replies[0]!.body).toBe('000000000001');
    expect(received.slice(1, 3).map((m) => commandInfo(m).code)).toEqual(['NetStream.Play.Reset', 'NetStream.Play.Start']);
    expect(replies[3]!.body).toEqual(['|RtmpSampleAccess', true, true]);
    c.session.notifyUnpublish(1);
    c.session.notifyPublish(1);
    expect(c.received().map((m) => (m.typeId === 4 ? describe(m).body : commandInfo(m).code))).toEqual([
      '000100000001', 'NetStream.Play.UnpublishNotify', '000000000001', 'NetStream.Play.PublishNotify',
    ]);
    c.session.endPlay(1);
    expect(c.received().map((m) => (m.typeId === 4 ? describe(m).body : commandInfo(m).code))).toEqual([
      '000100000001', 'NetStream.Play.UnpublishNotify', 'NetStream.Play.Stop',
    ]);
    expect(c.command(0, 'deleteStream', 0, null, 1)).toEqual([]);
  });

  test('play2, rejectPlay, closeStream -> stop-play, empty name', () => {
    const c = connected();
    c.command(0, 'createStream', 2, null);
    expect(c.command(1, 'play2', 0, null, { streamName: 'x?y=z', start: 0 })).toEqual([{ type: 'play', streamId: 1, streamName: 'x', query: 'y=z' }]);
    c.received();
    c.session.rejectPlay(1, 'NetStream.Play.StreamNotFound', 'no such stream');
    expect(c.received().map((m) => commandInfo(m))).toEqual([{ level: 'error', code: 'NetStream.Play.StreamNotFound', description: 'no such stream' }]);
    c.command(1, 'play', 0, null, 'x');
    c.session.acceptPlay(1);
    expect(c.command(1, 'closeStream', 0, null)).toEqual([{ type: 'stop-play', streamId: 1 }]);
    expect(c.command(1, 'play', 0, null, '')).toEqual([]);
  });
});

group('ServerSession control', () => {
  test('ping both ways', () => {
    const c = connected();
    c.send(pingRequestMessage(1234));
    expect(c.received().map(describe)).toEqual([{ csid: 2, type: 4, msid: 0, body: '0007000004d2' }]);
    c.session.pingRequest(99);
    expect(c.received().map(describe)).toEqual([{ csid: 2, type: 4, msid: 0, body: '000600000063' }]);
    expect(c.send(pingResponseMessage(99))).toEqual([{ type: 'ping-response', timestamp: 99 }]);
  });

  test('acknowledgements follow the peer window', () => {
    const c = connected();
    c.send(windowAckSizeMessage(1000));
    c.received();
    c.command(0, 'createStream', 2, null);
    c.command(1, 'publish', 3, null, 's');
    c.session.acceptPublish(1);
    c.received();
    c.send(media(9, 1, 0, new Uint8Array(1200)));
    const acks = c.received().filter((m) => m.typeId === RtmpMessageType.Acknowledgement);
    expect(acks).toHaveLength(1);
    expect(new DataView(acks[0]!.payload.buffer).getUint32(0)).toBe(c.session.bytesReceived);
  });

  test('set peer bandwidth answered with window ack size when it differs', () => {
    const c = connected();
    c.send(setPeerBandwidthMessage(2_500_000, 2));
    expect(c.received()).toEqual([]);
    c.send(setPeerBandwidthMessage(5_000_000, 2));
    expect(c.received().map(describe)).toEqual([{ csid: 2, type: 5, msid: 0, body: '004c4b40' }]);
  });

  test('unknown commands: _error only with a transaction id', () => {
    const c = connected();
    c.command(0, '_checkbw', 0, null);
    c.command(0, 'onBWDone', 0, null);
    expect(c.received()).toEqual([]);
    c.command(0, '_checkbw', 7, null);
    expect(c.received().map((m) => describe(m).body)).toEqual([
      ['_error', 7, null, { level: 'error', code: 'NetConnection.Call.Failed', description: 'Method not found (_checkbw).' }],
    ]);
  });

  test('AMF3 command message (type 17) is decoded', () => {
    const c = new ScriptedClient();
    c.handshake();
    const payload = concat(new Uint8Array([0]), encodeAmf0(['connect', 1, { app: 'live' }]));
    const events = c.send({ chunkStreamId: 3, typeId: RtmpMessageType.CommandAmf3, timestamp: 0, messageStreamId: 0, payload });
    expect(events[0]).toMatchObject({ type: 'connect', app: 'live' });
  });
});

import { describe, expect, test } from 'bun:test';
import { decodeAmf0, encodeAmf0, type Amf0Value } from '../../src/rtmp/amf0.ts';
import { ChunkReader } from '../../src/rtmp/chunk-reader.ts';
import { ClientSession, type ClientSessionEvent, type ClientSessionOptions } from '../../src/rtmp/client-session.ts';
import { RtmpMessageType, UserControlEvent, type RtmpMessage } from '../../src/rtmp/message-types.ts';
import { ProtocolErrorCode } from '../../src/shared/protocol-error.ts';
import { concat, expectProtocolError, hex, seededBytes } from './helpers.ts';

// ------------------------------------------------------------ hand-built server bytes

const PACKET = 1536;

/** S0 + S1 + S2 of a simple-handshake server: S1 has a zero version, so no digest is looked for by servers, and S2 echoes C1. */
function serverHandshake(c1: Uint8Array): { bytes: Uint8Array; s1: Uint8Array } {
  const s1 = new Uint8Array(PACKET);
  for (let i = 8; i < PACKET; i++) s1[i] = (i * 7) & 0xff;
  return { bytes: concat(Uint8Array.of(3), s1, c1), s1 };
}

/** Chunks one message by hand: fmt 0 header, then fmt 3 continuations (RTMP 1.0 §5.3.1), csid < 64. */
function chunk(csid: number, typeId: number, msid: number, timestamp: number, payload: Uint8Array, chunkSize = 128): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(12);
  head[0] = csid;
  head[1] = (timestamp >> 16) & 0xff;
  head[2] = (timestamp >> 8) & 0xff;
  head[3] = timestamp & 0xff;
  head[4] = (payload.length >> 16) & 0xff;
  head[5] = (payload.length >> 8) & 0xff;
  head[6] = payload.length & 0xff;
  head[7] = typeId;
  new DataView(head.buffer).setUint32(8, msid, true); // message stream id is little-endian
  parts.push(head);
  for (let o = 0; o < payload.length; o += chunkSize) {
    if (o > 0) parts.push(Uint8Array.of(0xc0 | csid));
    parts.push(payload.subarray(o, o + chunkSize));
  }
  return concat(...parts);
}

const u32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v);
  return b;
};
const command = (values: Amf0Value[], msid = 0) => chunk(3, RtmpMessageType.CommandAmf0, msid, 0, encodeAmf0(values));
const setChunkSize = (n: number) => chunk(2, RtmpMessageType.SetChunkSize, 0, 0, u32(n));
const windowAck = (n: number) => chunk(2, RtmpMessageType.WindowAckSize, 0, 0, u32(n));
const userControl = (event: number, value: number) => {
  const p = new Uint8Array(6);
  new DataView(p.buffer).setUint16(0, event);
  new DataView(p.buffer).setUint32(2, value);
  return chunk(2, RtmpMessageType.UserControl, 0, 0, p);
};
const status = (level: string, code: string, msid = 1) =>
  command(['onStatus', 0, null, { level, code, description: `${code} description` }], msid);

const connectResult = command([
  '_result',
  1,
  { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
  { level: 'status', code: 'NetConnection.Connect.Success', description: 'ok', objectEncoding: 0 },
]);

// ------------------------------------------------------------ client side helpers

function options(role: 'play' | 'publish', extra: Partial<ClientSessionOptions> = {}): ClientSessionOptions {
  return {
    app: 'live',
    tcUrl: 'rtmp://127.0.0.1:1935/live',
    role,
    streamName: 'cam1',
    randomBytes: seededBytes(7),
    epochMs: 0,
    ...extra,
  };
}

/** Starts a session and completes the handshake; returns it with what it sent after C0+C1 decoded. */
function handshaken(role: 'play' | 'publish', extra: Partial<ClientSessionOptions> = {}) {
  const session = new ClientSession(options(role, extra));
  session.start();
  const c0c1 = concat(...session.takeOutgoing());
  expect(c0c1.length).toBe(1 + PACKET);
  expect(c0c1[0]).toBe(3);
  const { bytes, s1 } = serverHandshake(c0c1.subarray(1));
  const events = session.push(bytes);
  expect(events).toEqual([{ type: 'handshake-done' }]);
  const out = session.takeOutgoing();
  // C2 echoes S1 for a server without a digest, then the session's first messages
  expect(out[0]).toEqual(s1);
  const server = new ServerView();
  server.read(out.slice(1));
  return { session, server };
}

/** What a server would read from the client: messages decoded with the real chunk reader. */
class ServerView {
  private readonly reader = new ChunkReader({ maxMessageSizeBytes: 1 << 24 });
  read(chunks: Uint8Array[]): RtmpMessage[] {
    return chunks.flatMap((c) => this.reader.push(c));
  }
  take(session: ClientSession): RtmpMessage[] {
    return this.read(session.takeOutgoing());
  }
}

function commandsOf(messages: RtmpMessage[]): { name: Amf0Value; values: Amf0Value[]; msid: number }[] {
  return messages
    .filter((m) => m.typeId === RtmpMessageType.CommandAmf0)
    .map((m) => {
      const values = decodeAmf0(m.payload);
      return { name: values[0], values, msid: m.messageStreamId };
    });
}

/** drives a play session to 'ready'; returns it */
function readyPlayer() {
  const { session, server } = handshaken('play');
  server.take(session);
  session.push(connectResult);
  server.take(session);
  session.push(command(['_result', 2, null, 1]));
  server.take(session);
  const events = session.push(status('status', 'NetStream.Play.Start'));
  expect(events.map((e) => e.type)).toEqual(['status', 'ready']);
  return { session, server };
}

// ------------------------------------------------------------ tests

describe('ClientSession handshake and connect', () => {
  test('sends C0+C1, then C2, Set Chunk Size and connect with app and tcUrl', () => {
    const session = new ClientSession(options('play', { outChunkSizeBytes: 60000 }));
    expect(session.state).toBe('handshake');
    session.start();
    const c0c1 = concat(...session.takeOutgoing());
    const { bytes } = serverHandshake(c0c1.subarray(1));
    session.push(bytes);
    const server = new ServerView();
    const messages = server.read(session.takeOutgoing().slice(1));
    expect(messages[0]!.typeId).toBe(RtmpMessageType.SetChunkSize);
    expect(messages[0]!.payload).toEqual(u32(60000));
    const [connect] = commandsOf(messages);
    expect(connect!.name).toBe('connect');
    expect(connect!.values[1]).toBe(1);
    expect(connect!.values[2]).toMatchObject({ app: 'live', tcUrl: 'rtmp://127.0.0.1:1935/live', fpad: false });
    expect(session.state).toBe('connecting');
  });

  test('push before start and a second start are errors', () => {
    const session = new ClientSession(options('play'));
    expectProtocolError(() => session.push(new Uint8Array(1)), ProtocolErrorCode.BadState);
    session.start();
    expectProtocolError(() => session.start(), ProtocolErrorCode.BadState);
  });

  test('a server asking for RTMPE or an unknown version is refused', () => {
    for (const version of [6, 9]) {
      const session = new ClientSession(options('play'));
      session.start();
      expectProtocolError(() => session.push(Uint8Array.of(version)));
    }
  });

  test('bytes after S2 in the same read are handled', () => {
    const session = new ClientSession(options('play'));
    session.start();
    const c0c1 = concat(...session.takeOutgoing());
    const { bytes } = serverHandshake(c0c1.subarray(1));
    const events = session.push(concat(bytes, connectResult));
    expect(events.map((e) => e.type)).toEqual(['handshake-done', 'connected']);
  });

  test('connect _error is a rejection at connect', () => {
    const { session } = handshaken('play');
    const events = session.push(
      command(['_error', 1, null, { level: 'error', code: 'NetConnection.Connect.Rejected', description: 'no such app' }]),
    );
    expect(events).toEqual([{ type: 'rejected', stage: 'connect', code: 'NetConnection.Connect.Rejected', description: 'no such app' }]);
    expect(session.state).toBe('failed');
    expect(session.push(connectResult)).toEqual([]);
  });
});

describe('ClientSession play', () => {
  test('connect result -> createStream -> play + SetBufferLength -> Play.Start', () => {
    const { session, server } = handshaken('play', { bufferLengthMs: 3000 });
    server.take(session);
    const connected = session.push(connectResult);
    expect(connected[0]).toMatchObject({ type: 'connected', information: { code: 'NetConnection.Connect.Success' } });
    const afterConnect = server.take(session);
    expect(afterConnect.some((m) => m.typeId === RtmpMessageType.WindowAckSize)).toBe(true);
    const create = commandsOf(afterConnect);
    expect(create.map((c) => c.name)).toEqual(['createStream']);
    expect(session.state).toBe('creating-stream');

    const created = session.push(command(['_result', create[0]!.values[1]!, null, 5]));
    expect(created).toEqual([{ type: 'stream-created', streamId: 5 }]);
    expect(session.streamId).toBe(5);
    const afterCreate = server.take(session);
    const play = commandsOf(afterCreate)[0]!;
    expect(play.name).toBe('play');
    expect(play.msid).toBe(5);
    expect(play.values.slice(2)).toEqual([null, 'cam1', -2000]);
    const bufferLength = afterCreate.find((m) => m.typeId === RtmpMessageType.UserControl)!;
    expect(bufferLength.payload).toEqual(hex('0003 00000005 00000bb8'));

    session.push(userControl(UserControlEvent.StreamBegin, 5));
    const ready = session.push(concat(status('status', 'NetStream.Play.Reset', 5), status('status', 'NetStream.Play.Start', 5)));
    expect(ready.map((e) => e.type)).toEqual(['status', 'status', 'ready']);
    expect(ready[2]).toEqual({ type: 'ready', role: 'play', streamId: 5 });
    expect(session.state).toBe('ready');
  });

  test('media messages come out undecoded, across a server Set Chunk Size', () => {
    const { session } = readyPlayer();
    const video = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    video[0] = 0x17;
    const audio = hex('af01 2110');
    const meta = encodeAmf0(['onMetaData', { width: 1280 }]);
    const events = session.push(
      concat(
        setChunkSize(4096),
        chunk(6, RtmpMessageType.Video, 1, 40, video, 4096),
        chunk(4, RtmpMessageType.Audio, 1, 41, audio, 4096),
        chunk(5, RtmpMessageType.DataAmf0, 1, 0, meta, 4096),
      ),
    );
    const media = events.filter((e): e is Extract<ClientSessionEvent, { type: 'media' }> => e.type === 'media');
    expect(media.map((e) => [e.message.typeId, e.message.timestamp, e.message.payload.length])).toEqual([
      [9, 40, 5000],
      [8, 41, 4],
      [18, 0, meta.length],
    ]);
    expect(media[0]!.message.payload).toEqual(video);
  });

  test('a play error status before ready is a rejection', () => {
    const { session, server } = handshaken('play');
    server.take(session);
    session.push(connectResult);
    session.push(command(['_result', 2, null, 1]));
    const events = session.push(status('error', 'NetStream.Play.StreamNotFound'));
    expect(events[1]).toEqual({
      type: 'rejected',
      stage: 'play',
      code: 'NetStream.Play.StreamNotFound',
      description: 'NetStream.Play.StreamNotFound description',
    });
    expect(session.state).toBe('failed');
  });

  test('StreamEOF and unknown commands surface as events', () => {
    const { session } = readyPlayer();
    const events = session.push(concat(command(['onBWDone', 0, null]), userControl(UserControlEvent.StreamEof, 1)));
    expect(events).toEqual([
      { type: 'command', name: 'onBWDone', transactionId: 0, args: [null] },
      { type: 'stream-eof', streamId: 1 },
    ]);
  });

  test('a createStream result without a stream id is malformed', () => {
    const { session } = handshaken('play');
    session.push(connectResult);
    expectProtocolError(() => session.push(command(['_result', 2, null, 'x'])), ProtocolErrorCode.Malformed);
  });
});

describe('ClientSession protocol control', () => {
  test('answers a ping request with the same timestamp', () => {
    const { session, server } = readyPlayer();
    server.take(session);
    session.push(userControl(UserControlEvent.PingRequest, 123456));
    const [pong] = server.take(session);
    expect(pong!.typeId).toBe(RtmpMessageType.UserControl);
    expect(pong!.payload).toEqual(hex('0007 0001e240'));
  });

  test('acknowledges every window of received bytes with the running byte count', () => {
    const { session, server } = readyPlayer();
    server.take(session);
    session.push(windowAck(1000));
    expect(server.take(session).filter((m) => m.typeId === RtmpMessageType.Acknowledgement)).toEqual([]);
    const audio = new Uint8Array(600);
    audio[0] = 0xaf;
    const acks: { sequence: number; receivedAfterPush: number }[] = [];
    for (let i = 0; i < 6; i++) {
      session.push(chunk(4, RtmpMessageType.Audio, 1, i, audio, 4096));
      for (const m of server.take(session)) {
        if (m.typeId !== RtmpMessageType.Acknowledgement) continue;
        acks.push({ sequence: new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(0), receivedAfterPush: session.receivedBytes });
      }
    }
    expect(acks.length).toBeGreaterThanOrEqual(3);
    let previous = 0;
    for (const ack of acks) {
      expect(ack.sequence).toBe(ack.receivedAfterPush); // counts every byte after the handshake
      expect(ack.sequence - previous).toBeGreaterThanOrEqual(1000);
      previous = ack.sequence;
    }
    expect(session.receivedBytes - previous).toBeLessThan(1000); // no window left unacknowledged
  });

  test('Set Peer Bandwidth is answered with our window size', () => {
    const { session, server } = readyPlayer();
    server.take(session);
    session.push(chunk(2, RtmpMessageType.SetPeerBandwidth, 0, 0, hex('004c4b40 02')));
    const [reply] = server.take(session);
    expect(reply!.typeId).toBe(RtmpMessageType.WindowAckSize);
    expect(reply!.payload).toEqual(u32(2_500_000));
  });

  test('any split of the server bytes gives the same events', () => {
    const session0 = new ClientSession(options('play'));
    session0.start();
    const c0c1 = concat(...session0.takeOutgoing());
    const { bytes: hs } = serverHandshake(c0c1.subarray(1));
    const video = Uint8Array.from({ length: 9000 }, (_, i) => (i * 31) & 0xff);
    const stream = concat(
      hs,
      connectResult,
      windowAck(5000),
      command(['_result', 2, null, 1]),
      setChunkSize(1000),
      userControl(UserControlEvent.StreamBegin, 1),
      chunk(3, RtmpMessageType.CommandAmf0, 1, 0, encodeAmf0(['onStatus', 0, null, { level: 'status', code: 'NetStream.Play.Start' }]), 1000),
      chunk(6, RtmpMessageType.Video, 1, 0, video, 1000),
      userControl(UserControlEvent.PingRequest, 77),
      chunk(6, RtmpMessageType.Video, 1, 33, video.subarray(0, 1500), 1000),
    );
    const run = (split: number) => {
      const s = new ClientSession(options('play'));
      s.start();
      s.takeOutgoing();
      const events: ClientSessionEvent[] = [];
      for (let i = 0; i < stream.length; i += split) events.push(...s.push(stream.subarray(i, i + split)));
      // acknowledgements follow how reads happened to split the bytes; everything else must not
      const out = new ServerView().read(s.takeOutgoing().slice(1)).filter((m) => m.typeId !== RtmpMessageType.Acknowledgement);
      return { events, out };
    };
    const whole = run(stream.length);
    expect(whole.events.map((e) => e.type)).toEqual([
      'handshake-done',
      'connected',
      'stream-created',
      'stream-begin',
      'status',
      'ready',
      'media',
      'media',
    ]);
    for (const split of [1, 2, 3, 7, 128, 1537, 4000]) {
      const r = run(split);
      expect(r.events).toEqual(whole.events);
      expect(r.out).toEqual(whole.out);
    }
  });

  test('garbage after the handshake is a ProtocolError, not a hang', () => {
    const { session } = handshaken('play');
    // fmt 3 chunk on a chunk stream never seen
    expectProtocolError(() => session.push(hex('c9 00 00 00')), ProtocolErrorCode.Malformed);
  });
});

describe('ClientSession publish', () => {
  function readyPublisher() {
    const { session, server } = handshaken('publish');
    server.take(session);
    session.push(connectResult);
    const afterConnect = commandsOf(server.take(session));
    expect(afterConnect.map((c) => [c.name, c.values[3]])).toEqual([
      ['releaseStream', 'cam1'],
      ['FCPublish', 'cam1'],
      ['createStream', undefined],
    ]);
    session.push(command(['_result', afterConnect[2]!.values[1]!, null, 1]));
    const publish = commandsOf(server.take(session))[0]!;
    expect(publish.name).toBe('publish');
    expect(publish.msid).toBe(1);
    expect(publish.values.slice(2)).toEqual([null, 'cam1', 'live']);
    const events = session.push(status('status', 'NetStream.Publish.Start'));
    expect(events.at(-1)).toEqual({ type: 'ready', role: 'publish', streamId: 1 });
    return { session, server };
  }

  test('connect announces a publisher', () => {
    const session = new ClientSession(options('publish'));
    session.start();
    const c0c1 = concat(...session.takeOutgoing());
    session.push(serverHandshake(c0c1.subarray(1)).bytes);
    const [connect] = commandsOf(new ServerView().read(session.takeOutgoing().slice(1)));
    expect(connect!.values[2]).toMatchObject({ app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; weir)' });
  });

  test('sends media on the stream with absolute timestamps, extended when large', () => {
    const { session, server } = readyPublisher();
    const video = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
    session.sendMedia(RtmpMessageType.Video, 40, video);
    session.sendMedia(RtmpMessageType.Audio, 0x1000000 + 5, hex('af01 aa'));
    const messages = server.take(session);
    expect(messages.map((m) => [m.chunkStreamId, m.typeId, m.messageStreamId, m.timestamp, m.payload.length])).toEqual([
      [6, 9, 1, 40, 10_000],
      [4, 8, 1, 0x1000005, 3],
    ]);
    expect(messages[0]!.payload).toEqual(video);
  });

  test('sendDataFrame prefixes @setDataFrame to a script tag body', () => {
    const { session, server } = readyPublisher();
    session.sendDataFrame(encodeAmf0(['onMetaData', { width: 1280, height: 720 }]));
    const [data] = server.take(session);
    expect(data!.typeId).toBe(RtmpMessageType.DataAmf0);
    expect(decodeAmf0(data!.payload)).toEqual(['@setDataFrame', 'onMetaData', { width: 1280, height: 720 }]);
  });

  test('media cannot be sent before ready, nor by a player, nor as a non-media type', () => {
    const { session } = handshaken('publish');
    expectProtocolError(() => session.sendMedia(RtmpMessageType.Video, 0, new Uint8Array(1)), ProtocolErrorCode.BadState);
    const { session: player } = readyPlayer();
    expectProtocolError(() => player.sendMedia(RtmpMessageType.Video, 0, new Uint8Array(1)), ProtocolErrorCode.BadState);
    const { session: publisher } = readyPublisher();
    expectProtocolError(() => publisher.sendMedia(RtmpMessageType.CommandAmf0, 0, new Uint8Array(1)), ProtocolErrorCode.Unsupported);
  });

  test('a publish error status is a rejection at publish', () => {
    const { session } = handshaken('publish');
    session.push(connectResult);
    session.push(command(['_result', 4, null, 1]));
    const events = session.push(status('error', 'NetStream.Publish.BadName'));
    expect(events.at(-1)).toMatchObject({ type: 'rejected', stage: 'publish', code: 'NetStream.Publish.BadName' });
  });

  test('close sends FCUnpublish and deleteStream once', () => {
    const { session, server } = readyPublisher();
    session.close();
    session.close();
    const cmds = commandsOf(server.take(session));
    expect(cmds.map((c) => [c.name, c.values[3]])).toEqual([
      ['FCUnpublish', 'cam1'],
      ['deleteStream', 1],
    ]);
    expect(session.state).toBe('closed');
  });
});

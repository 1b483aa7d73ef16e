// RTMP client session, the mirror of the server session (Adobe RTMP 1.0 §5.2 handshake, §5.4
// protocol control, §7.1.7 user control, §7.2 NetConnection/NetStream commands): bytes in ->
// typed events out, bytes to send collected for takeOutgoing(). No sockets, no clock, no timers.
// One session connects to one app and then publishes or plays one stream.
import { decodeAmf0, encodeAmf0, type Amf0Object, type Amf0Value } from './amf0.ts';
import { ChunkReader } from './chunk-reader.ts';
import { encodeChunks } from './chunk-writer.ts';
import { ClientHandshake } from './handshake.ts';
import {
  acknowledgementMessage,
  ChunkStreamId,
  CONTROL_MESSAGE_STREAM_ID,
  decodeUint32Payload,
  decodeUserControl,
  pingResponseMessage,
  RtmpMessageType,
  setChunkSizeMessage,
  userControlMessage,
  UserControlEvent,
  windowAckSizeMessage,
  type RtmpMessage,
} from './message-types.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type ClientRole = 'publish' | 'play';

/** Turns the bytes after the handshake into messages and applies Set Chunk Size / Abort itself. */
export interface MessageReader {
  push(bytes: Uint8Array): RtmpMessage[];
}

export type ClientSessionOptions = {
  /** application name, the first path segment of rtmp://host/app/stream */
  app: string;
  /** rtmp://host[:port]/app as the server should see it */
  tcUrl: string;
  role: ClientRole;
  streamName: string;
  /** chunk size this client writes with, announced right after the handshake (default 4096) */
  outChunkSizeBytes?: number;
  /** largest message the chunk reader accepts (default 16 MiB) */
  maxMessageSizeBytes?: number;
  /** acknowledgement window announced to the server (default 2,500,000 bytes) */
  windowAckSizeBytes?: number;
  /** play: buffer length announced with SetBufferLength (default 1000 ms) */
  bufferLengthMs?: number;
  /** publish: publishing type (default 'live') */
  publishType?: 'live' | 'record' | 'append';
  /** connect command flashVer (default 'FMLE/3.0 (compatible; weir)' to publish, 'LNX 9,0,124,2' to play) */
  flashVer?: string;
  /** source of the handshake's random bytes (tests pass a deterministic one) */
  randomBytes: (length: number) => Uint8Array;
  /** send a digest C1 as Flash Player and ffmpeg do (default true); false for the simple handshake */
  handshakeDigest?: boolean;
  /** epoch of C1's time field, in ms (the caller's clock; the session reads none) */
  epochMs?: number;
  /** message reader to use instead of a ChunkReader (a load tool may count media without reassembling it) */
  createReader?: (maxMessageSizeBytes: number) => MessageReader;
};

export type ClientSessionState =
  | 'handshake'
  | 'connecting'
  | 'creating-stream'
  | 'starting'
  | 'ready'
  | 'failed'
  | 'closed';

export type ClientStage = 'connect' | 'createStream' | 'publish' | 'play';

export type ClientSessionEvent =
  | { type: 'handshake-done' }
  | { type: 'connected'; properties: Amf0Value; information: Amf0Value }
  | { type: 'stream-created'; streamId: number }
  /** NetStream.Publish.Start (publish) or NetStream.Play.Start (play): media may flow */
  | { type: 'ready'; role: ClientRole; streamId: number }
  /** any onStatus the server sends, including the one that made the session ready */
  | { type: 'status'; level: string; code: string; description: string; info: Amf0Value }
  /** the server refused a step: _error, or an onStatus with level 'error' before ready */
  | { type: 'rejected'; stage: ClientStage; code: string; description: string }
  /** audio (8), video (9) or data (18) message from the server; payload is not decoded */
  | { type: 'media'; message: RtmpMessage }
  | { type: 'stream-begin'; streamId: number }
  | { type: 'stream-eof'; streamId: number }
  /** a command the session does not act on (onBWDone, onFCPublish, …) */
  | { type: 'command'; name: string; transactionId: number; args: Amf0Value[] };

const DEFAULT_OUT_CHUNK_SIZE_BYTES = 4096;
const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 16 * 1024 * 1024;
const DEFAULT_WINDOW_ACK_SIZE_BYTES = 2_500_000;
const DEFAULT_BUFFER_LENGTH_MS = 1000;
const UINT32_RANGE = 0x100000000;

const Command = {
  Connect: 'connect',
  CreateStream: 'createStream',
  ReleaseStream: 'releaseStream',
  FcPublish: 'FCPublish',
  FcUnpublish: 'FCUnpublish',
  Publish: 'publish',
  Play: 'play',
  DeleteStream: 'deleteStream',
  Result: '_result',
  Error: '_error',
  OnStatus: 'onStatus',
  SetDataFrame: '@setDataFrame',
} as const;

const StatusCode = {
  PublishStart: 'NetStream.Publish.Start',
  PlayStart: 'NetStream.Play.Start',
} as const;

const StatusLevel = { Error: 'error' } as const;

/** Capabilities a Flash-era player announces; servers look at none of them but some log them. */
const PLAYER_AUDIO_CODECS = 0x0fff;
const PLAYER_VIDEO_CODECS = 0x00ff;
const PLAYER_CAPABILITIES = 15;

const MEDIA_TYPES: ReadonlySet<number> = new Set([RtmpMessageType.Audio, RtmpMessageType.Video, RtmpMessageType.DataAmf0]);

export class ClientSession {
  private stateValue: ClientSessionState = 'handshake';
  private readonly handshake: ClientHandshake;
  private readonly reader: MessageReader;
  private readonly outChunkSize: number;
  private readonly windowAckSize: number;
  private outgoing: Uint8Array[] = [];
  private nextTransactionId = 1;
  private readonly pending = new Map<number, ClientStage | 'other'>();
  private streamIdValue = 0;
  private bytesReceived = 0;
  private lastAckAt = 0;
  private peerAckWindow = 0;
  private started = false;
  private readonly setDataFramePrefix = encodeAmf0([Command.SetDataFrame]);

  constructor(private readonly options: ClientSessionOptions) {
    this.outChunkSize = options.outChunkSizeBytes ?? DEFAULT_OUT_CHUNK_SIZE_BYTES;
    this.windowAckSize = options.windowAckSizeBytes ?? DEFAULT_WINDOW_ACK_SIZE_BYTES;
    this.handshake = new ClientHandshake({
      randomBytes: options.randomBytes,
      epochMs: options.epochMs ?? 0,
      digest: options.handshakeDigest ?? true,
    });
    const maxMessageSizeBytes = options.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES;
    this.reader = options.createReader?.(maxMessageSizeBytes) ?? new ChunkReader({ maxMessageSizeBytes });
  }

  get state(): ClientSessionState {
    return this.stateValue;
  }

  /** message stream id the server gave createStream (0 until then) */
  get streamId(): number {
    return this.streamIdValue;
  }

  /** bytes received after the handshake (what acknowledgements count) */
  get receivedBytes(): number {
    return this.bytesReceived;
  }

  /** Queues C0+C1. Call once, before the first push(). */
  start(): void {
    if (this.started) throw new ProtocolError(ProtocolErrorCode.BadState, 'client session already started');
    this.started = true;
    this.outgoing.push(this.handshake.start());
  }

  /** Bytes to send, in order; the queue is emptied. */
  takeOutgoing(): Uint8Array[] {
    const out = this.outgoing;
    this.outgoing = [];
    return out;
  }

  /** Feeds bytes from the server; returns what they meant. Throws ProtocolError on bad bytes. */
  push(bytes: Uint8Array): ClientSessionEvent[] {
    if (!this.started) throw new ProtocolError(ProtocolErrorCode.BadState, 'push() before start()');
    if (this.stateValue === 'closed' || this.stateValue === 'failed') return [];
    const events: ClientSessionEvent[] = [];
    let rest = bytes;
    if (this.stateValue === 'handshake') {
      const step = this.handshake.push(bytes);
      for (const out of step.output) this.outgoing.push(out);
      if (!step.done) return events;
      events.push({ type: 'handshake-done' });
      this.afterHandshake();
      rest = step.rest;
      if (rest.length === 0) return events;
    }
    this.countReceived(rest.length);
    for (const message of this.reader.push(rest)) {
      this.handleMessage(message, events);
      if (this.state === 'failed') break;
    }
    return events;
  }

  /** Publish: one audio, video or data message (an FLV tag body) at an absolute timestamp in ms. */
  sendMedia(typeId: number, timestampMs: number, payload: Uint8Array): void {
    this.requireReady('publish', 'send media');
    const chunkStreamId =
      typeId === RtmpMessageType.Audio
        ? ChunkStreamId.Audio
        : typeId === RtmpMessageType.Video
          ? ChunkStreamId.Video
          : ChunkStreamId.Data;
    if (!MEDIA_TYPES.has(typeId)) {
      throw new ProtocolError(ProtocolErrorCode.Unsupported, `message type ${typeId} is not media`);
    }
    this.send({ chunkStreamId, typeId, timestamp: timestampMs % UINT32_RANGE, messageStreamId: this.streamIdValue, payload });
  }

  /**
   * Publish: a data message that servers keep and replay to players (onMetaData and the like),
   * given as the AMF0 body of an FLV script tag ('onMetaData', {...}); '@setDataFrame' is prefixed.
   */
  sendDataFrame(scriptTagBody: Uint8Array, timestampMs = 0): void {
    const payload = new Uint8Array(this.setDataFramePrefix.length + scriptTagBody.length);
    payload.set(this.setDataFramePrefix, 0);
    payload.set(scriptTagBody, this.setDataFramePrefix.length);
    this.sendMedia(RtmpMessageType.DataAmf0, timestampMs, payload);
  }

  /** Publish: a data message with the given AMF0 values (e.g. ['onTextData', {text}]), no prefix. */
  sendData(values: readonly Amf0Value[], timestampMs = 0): void {
    this.sendMedia(RtmpMessageType.DataAmf0, timestampMs, encodeAmf0(values));
  }

  /** Ends the stream politely (FCUnpublish and deleteStream); the caller then closes the socket. */
  close(): void {
    if (this.stateValue === 'closed') return;
    const hadStream = this.streamIdValue !== 0;
    if (hadStream && this.stateValue !== 'handshake') {
      if (this.options.role === 'publish') {
        this.sendCommand(Command.FcUnpublish, this.allocTransaction('other'), null, this.options.streamName);
      }
      this.sendCommand(Command.DeleteStream, this.allocTransaction('other'), null, this.streamIdValue);
    }
    this.stateValue = 'closed';
  }

  // ------------------------------------------------------------------ internals

  private afterHandshake(): void {
    this.stateValue = 'connecting';
    this.send(setChunkSizeMessage(this.outChunkSize));
    const o = this.options;
    const command: Amf0Object =
      o.role === 'publish'
        ? { app: o.app, type: 'nonprivate', flashVer: o.flashVer ?? 'FMLE/3.0 (compatible; weir)', tcUrl: o.tcUrl }
        : {
            app: o.app,
            flashVer: o.flashVer ?? 'LNX 9,0,124,2',
            tcUrl: o.tcUrl,
            fpad: false,
            capabilities: PLAYER_CAPABILITIES,
            audioCodecs: PLAYER_AUDIO_CODECS,
            videoCodecs: PLAYER_VIDEO_CODECS,
            videoFunction: 1,
            objectEncoding: 0,
          };
    this.sendCommand(Command.Connect, this.allocTransaction('connect'), command);
  }

  private handleMessage(message: RtmpMessage, events: ClientSessionEvent[]): void {
    switch (message.typeId) {
      case RtmpMessageType.Audio:
      case RtmpMessageType.Video:
      case RtmpMessageType.DataAmf0:
        events.push({ type: 'media', message });
        return;
      case RtmpMessageType.SetChunkSize:
      case RtmpMessageType.Abort:
        return; // the chunk reader applied it
      case RtmpMessageType.Acknowledgement:
        return;
      case RtmpMessageType.WindowAckSize:
        this.peerAckWindow = decodeUint32Payload(message.payload, 'Window Acknowledgement Size');
        return;
      case RtmpMessageType.SetPeerBandwidth:
        // Answer with our window, as a Flash client does, so the server's ack accounting starts.
        decodeUint32Payload(message.payload, 'Set Peer Bandwidth');
        this.send(windowAckSizeMessage(this.windowAckSize));
        return;
      case RtmpMessageType.UserControl:
        this.handleUserControl(message.payload, events);
        return;
      case RtmpMessageType.CommandAmf0:
        this.handleCommand(decodeAmf0(message.payload), events);
        return;
      case RtmpMessageType.CommandAmf3:
        // AMF3 command messages start with a 0 format byte, then AMF0 values.
        this.handleCommand(decodeAmf0(message.payload.subarray(1)), events);
        return;
      default:
        return; // shared objects, aggregates, AMF3 data: not needed by a client that publishes or plays
    }
  }

  private handleUserControl(payload: Uint8Array, events: ClientSessionEvent[]): void {
    const control = decodeUserControl(payload);
    switch (control.event) {
      case UserControlEvent.PingRequest:
        this.send(pingResponseMessage(control.value));
        return;
      case UserControlEvent.StreamBegin:
        events.push({ type: 'stream-begin', streamId: control.value });
        return;
      case UserControlEvent.StreamEof:
        events.push({ type: 'stream-eof', streamId: control.value });
        return;
      default:
        return;
    }
  }

  private handleCommand(values: Amf0Value[], events: ClientSessionEvent[]): void {
    const name = values[0];
    const transactionId = values[1];
    if (typeof name !== 'string') {
      throw new ProtocolError(ProtocolErrorCode.Malformed, 'command message without a name');
    }
    const txn = typeof transactionId === 'number' ? transactionId : 0;
    if (name === Command.Result || name === Command.Error) {
      const stage = this.pending.get(txn);
      this.pending.delete(txn);
      if (stage === undefined || stage === 'other') {
        events.push({ type: 'command', name, transactionId: txn, args: values.slice(2) });
        return;
      }
      if (name === Command.Error) {
        const info = values[3];
        this.fail(events, stage, statusField(info, 'code'), statusField(info, 'description'));
        return;
      }
      this.handleResult(stage, values, events);
      return;
    }
    if (name === Command.OnStatus) {
      this.handleStatus(values[3], events);
      return;
    }
    events.push({ type: 'command', name, transactionId: txn, args: values.slice(2) });
  }

  private handleResult(stage: ClientStage, values: Amf0Value[], events: ClientSessionEvent[]): void {
    if (stage === 'connect' && this.stateValue === 'connecting') {
      events.push({ type: 'connected', properties: values[2], information: values[3] });
      const name = this.options.streamName;
      if (this.options.role === 'publish') {
        this.sendCommand(Command.ReleaseStream, this.allocTransaction('other'), null, name);
        this.sendCommand(Command.FcPublish, this.allocTransaction('other'), null, name);
      }
      this.send(windowAckSizeMessage(this.windowAckSize));
      this.sendCommand(Command.CreateStream, this.allocTransaction('createStream'), null);
      this.stateValue = 'creating-stream';
      return;
    }
    if (stage === 'createStream' && this.stateValue === 'creating-stream') {
      const streamId = values[3];
      if (typeof streamId !== 'number' || !Number.isInteger(streamId) || streamId <= 0) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `createStream result without a stream id`);
      }
      this.streamIdValue = streamId;
      events.push({ type: 'stream-created', streamId });
      this.stateValue = 'starting';
      const o = this.options;
      if (o.role === 'publish') {
        this.sendStreamCommand(Command.Publish, 0, null, o.streamName, o.publishType ?? 'live');
      } else {
        this.sendStreamCommand(Command.Play, 0, null, o.streamName, -2000);
        this.send(userControlMessage(UserControlEvent.SetBufferLength, streamId, o.bufferLengthMs ?? DEFAULT_BUFFER_LENGTH_MS));
      }
    }
  }

  private handleStatus(info: Amf0Value, events: ClientSessionEvent[]): void {
    const level = statusField(info, 'level');
    const code = statusField(info, 'code');
    const description = statusField(info, 'description');
    events.push({ type: 'status', level, code, description, info });
    if (this.stateValue !== 'starting') return;
    const role = this.options.role;
    if (level === StatusLevel.Error) {
      this.fail(events, role, code, description);
      return;
    }
    if ((role === 'publish' && code === StatusCode.PublishStart) || (role === 'play' && code === StatusCode.PlayStart)) {
      this.stateValue = 'ready';
      events.push({ type: 'ready', role, streamId: this.streamIdValue });
    }
  }

  private fail(events: ClientSessionEvent[], stage: ClientStage, code: string, description: string): void {
    this.stateValue = 'failed';
    events.push({ type: 'rejected', stage, code, description });
  }

  private requireReady(role: ClientRole, what: string): void {
    if (this.options.role !== role || this.stateValue !== 'ready') {
      throw new ProtocolError(ProtocolErrorCode.BadState, `cannot ${what} in state ${this.stateValue} as a ${this.options.role} client`);
    }
  }

  private countReceived(n: number): void {
    this.bytesReceived += n;
    if (this.peerAckWindow > 0 && this.bytesReceived - this.lastAckAt >= this.peerAckWindow) {
      this.lastAckAt = this.bytesReceived;
      this.send(acknowledgementMessage(this.bytesReceived % UINT32_RANGE));
    }
  }

  private allocTransaction(stage: ClientStage | 'other'): number {
    const id = this.nextTransactionId++;
    this.pending.set(id, stage);
    return id;
  }

  private sendCommand(name: string, transactionId: number, ...args: Amf0Value[]): void {
    this.send({
      chunkStreamId: ChunkStreamId.Command,
      typeId: RtmpMessageType.CommandAmf0,
      timestamp: 0,
      messageStreamId: CONTROL_MESSAGE_STREAM_ID,
      payload: encodeAmf0([name, transactionId, ...args]),
    });
  }

  private sendStreamCommand(name: string, transactionId: number, ...args: Amf0Value[]): void {
    this.send({
      chunkStreamId: ChunkStreamId.Command,
      typeId: RtmpMessageType.CommandAmf0,
      timestamp: 0,
      messageStreamId: this.streamIdValue,
      payload: encodeAmf0([name, transactionId, ...args]),
    });
  }

  private send(message: RtmpMessage): void {
    this.outgoing.push(encodeChunks(message, this.outChunkSize));
  }
}

function statusField(info: Amf0Value, key: string): string {
  if (info !== null && typeof info === 'object' && !Array.isArray(info) && !(info instanceof Date)) {
    const v = info[key];
    return typeof v === 'string' ? v : '';
  }
  return '';
}

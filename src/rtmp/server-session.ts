// Server side of one RTMP connection: handshake, chunk stream, protocol control and NetConnection/NetStream commands, bytes in -> typed events out (Adobe RTMP 1.0 §5.2-§5.4, §6.2, §7.1.7, §7.2).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { Amf0Value } from './amf0.ts';
import { ChunkReader } from './chunk-reader.ts';
import { encodeChunks } from './chunk-writer.ts';
import { CommandName, StatusCode, decodeCommand, resultMessage, splitQuery, type Command } from './commands.ts';
import { ServerHandshake } from './handshake.ts';
import { isMediaMessage, mediaMessages, type MediaMessageType } from './media-messages.ts';
import {
  DEFAULT_CHUNK_SIZE_BYTES, RtmpMessageType, UserControlEvent, acknowledgementMessage, decodeUint32Payload,
  decodeUserControl, pingRequestMessage, pingResponseMessage, setChunkSizeMessage, windowAckSizeMessage, type RtmpMessage,
} from './message-types.ts';
import { NetStreamState, NetStreamTable, isPublishing } from './net-streams.ts';
import * as reply from './server-replies.ts';

export type ServerSessionEvent =
  | { type: 'connect'; transactionId: number; app: string; tcUrl: string; query: string; flashVer: string; objectEncoding: number }
  | { type: 'publish'; streamId: number; streamName: string; query: string; publishType: string }
  | { type: 'play'; streamId: number; streamName: string; query: string }
  | { type: 'media'; streamId: number; messageType: MediaMessageType; timestamp: number; payload: Uint8Array }
  | { type: 'unpublish'; streamId: number }
  | { type: 'stop-play'; streamId: number }
  | { type: 'ping-response'; timestamp: number };

export type ServerSessionOptions = {
  randomBytes: (n: number) => Uint8Array;
  epochMs: number;
  /** chunk size announced after connect and used for everything written afterwards (default 4096) */
  outChunkSize?: number;
  /** Window Acknowledgement Size / Set Peer Bandwidth announced after connect (default 2,500,000) */
  windowAckSizeBytes?: number;
  maxMessageSizeBytes?: number;
};

const ConnectionState = {
  Handshake: 'handshake',
  AwaitingConnect: 'awaiting-connect',
  ConnectPending: 'connect-pending',
  Connected: 'connected',
  Rejected: 'rejected',
} as const;
type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

const DEFAULT_OUT_CHUNK_SIZE_BYTES = 4096;
const DEFAULT_WINDOW_ACK_SIZE_BYTES = 2_500_000;

const isPlain = (v: Amf0Value): v is Record<string, Amf0Value> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

export class ServerSession {
  /** dropped once done: a viewer keeps its session as long as it plays, and the digests are no use after */
  private handshake: ServerHandshake | null;
  private readonly reader: ChunkReader;
  private readonly configuredOutChunkSize: number;
  private readonly windowAckSizeBytes: number;
  private readonly streams = new NetStreamTable();
  private state: ConnectionState = ConnectionState.Handshake;
  private outgoing: Uint8Array[] = [];
  /** replies to commands that arrived while connect awaits a decision: sent after the connect reply, dropped on reject */
  private held: RtmpMessage[] = [];
  private writeChunkSize = DEFAULT_CHUNK_SIZE_BYTES;
  private received = 0;
  private peerWindowAckSize = 0;
  private lastAckAt = 0;
  private lastWindowAckSent = 0;
  private connectTransactionId = 0;
  private objectEncoding = 0;

  constructor(options: ServerSessionOptions) {
    this.handshake = new ServerHandshake({ randomBytes: options.randomBytes, epochMs: options.epochMs });
    this.configuredOutChunkSize = options.outChunkSize ?? DEFAULT_OUT_CHUNK_SIZE_BYTES;
    setChunkSizeMessage(this.configuredOutChunkSize); // throws RangeError on a bad option
    this.windowAckSizeBytes = options.windowAckSizeBytes ?? DEFAULT_WINDOW_ACK_SIZE_BYTES;
    const maxMessageSizeBytes = options.maxMessageSizeBytes;
    this.reader = new ChunkReader(maxMessageSizeBytes !== undefined ? { maxMessageSizeBytes } : undefined);
  }

  /** Chunk size this session writes with once connect is accepted; media for this connection must be chunked with it. */
  get outChunkSize(): number {
    return this.configuredOutChunkSize;
  }
  /** All bytes pushed so far, handshake included (the Acknowledgement sequence number counts the same bytes). */
  get bytesReceived(): number {
    return this.received;
  }

  push(bytes: Uint8Array): ServerSessionEvent[] {
    this.received += bytes.length;
    const events: ServerSessionEvent[] = [];
    let data = bytes;
    if (this.state === ConnectionState.Handshake && this.handshake) {
      const step = this.handshake.push(bytes);
      this.outgoing.push(...step.output);
      if (!step.done) return events;
      this.handshake = null;
      this.state = ConnectionState.AwaitingConnect;
      data = step.rest;
    }
    if (data.length > 0) {
      for (const message of this.reader.push(data)) this.handleMessage(message, events);
    }
    if (this.peerWindowAckSize > 0 && this.received - this.lastAckAt >= this.peerWindowAckSize) {
      this.lastAckAt = this.received;
      this.sendNow(acknowledgementMessage(this.received));
    }
    return events;
  }

  takeOutgoing(): Uint8Array[] {
    const out = this.outgoing;
    this.outgoing = [];
    return out;
  }

  acceptConnect(): void {
    if (this.state !== ConnectionState.ConnectPending) return;
    this.state = ConnectionState.Connected;
    const { control, result } = reply.connectAccepted(
      this.connectTransactionId, this.windowAckSizeBytes, this.configuredOutChunkSize, this.objectEncoding,
    );
    for (const message of control) this.sendNow(message);
    this.writeChunkSize = this.configuredOutChunkSize; // everything after Set Chunk Size uses it
    this.lastWindowAckSent = this.windowAckSizeBytes;
    this.sendNow(result);
    const held = this.held;
    this.held = [];
    for (const message of held) this.sendNow(message);
  }

  rejectConnect(description: string): void {
    if (this.state !== ConnectionState.ConnectPending) return;
    this.state = ConnectionState.Rejected;
    this.held = [];
    this.sendNow(reply.connectRejected(this.connectTransactionId, description));
  }

  acceptPublish(streamId: number): void {
    this.send(...this.streams.decide(streamId, NetStreamState.PublishPending, NetStreamState.Publishing, (name) => reply.publishStarted(streamId, name)));
  }

  rejectPublish(streamId: number, code: string, description: string): void {
    this.send(...this.streams.decide(streamId, NetStreamState.PublishPending, NetStreamState.Idle, () => [reply.streamError(streamId, code, description)]));
  }

  acceptPlay(streamId: number): void {
    this.send(...this.streams.decide(streamId, NetStreamState.PlayPending, NetStreamState.Playing, (name) => reply.playStarted(streamId, name)));
  }

  rejectPlay(streamId: number, code: string, description: string): void {
    this.send(...this.streams.decide(streamId, NetStreamState.PlayPending, NetStreamState.Idle, () => [reply.streamError(streamId, code, description)]));
  }

  /** The publisher a player watches went away; the play stays open (StreamEof + Play.UnpublishNotify). */
  notifyUnpublish(streamId: number): void {
    this.send(...this.streams.publisherChanged(streamId, true));
  }

  /** A publisher came back for a playing stream (StreamBegin + Play.PublishNotify). */
  notifyPublish(streamId: number): void {
    this.send(...this.streams.publisherChanged(streamId, false));
  }

  /** Ends a play: StreamEof + Play.UnpublishNotify (unless notifyUnpublish sent them) + Play.Stop. */
  endPlay(streamId: number): void {
    this.send(...this.streams.endPlay(streamId));
  }

  pingRequest(timestamp: number): void {
    this.sendNow(pingRequestMessage(timestamp));
  }

  private sendNow(message: RtmpMessage): void {
    this.outgoing.push(encodeChunks(message, this.writeChunkSize));
  }

  /** Command replies queue behind a pending connect decision so the connect reply goes out first. */
  private send(...messages: RtmpMessage[]): void {
    if (this.state === ConnectionState.ConnectPending) this.held.push(...messages);
    else for (const message of messages) this.sendNow(message);
  }

  private handleMessage(message: RtmpMessage, events: ServerSessionEvent[]): void {
    const { typeId, payload } = message;
    if (isMediaMessage(typeId)) {
      const streamId = message.messageStreamId;
      const stream = this.streams.get(streamId);
      if (stream === undefined || !isPublishing(stream)) return; // media only counts on a publishing stream
      for (const m of mediaMessages(message)) events.push({ type: 'media', streamId, ...m });
    } else if (typeId === RtmpMessageType.CommandAmf0 || typeId === RtmpMessageType.CommandAmf3) {
      this.command(decodeCommand(message), events);
    } else if (typeId === RtmpMessageType.UserControl) {
      const control = decodeUserControl(payload);
      if (control.event === UserControlEvent.PingRequest) this.sendNow(pingResponseMessage(control.value));
      else if (control.event === UserControlEvent.PingResponse) events.push({ type: 'ping-response', timestamp: control.value });
    } else if (typeId === RtmpMessageType.WindowAckSize) {
      this.peerWindowAckSize = decodeUint32Payload(payload, 'Window Acknowledgement Size');
    } else if (typeId === RtmpMessageType.SetPeerBandwidth) {
      const size = decodeUint32Payload(payload, 'Set Peer Bandwidth');
      if (size > 0 && size !== this.lastWindowAckSent) {
        this.lastWindowAckSent = size;
        this.sendNow(windowAckSizeMessage(size));
      }
    }
    // Set Chunk Size and Abort were applied by the reader; acks, shared objects and unknown types are ignored.
  }

  private command(cmd: Command, events: ServerSessionEvent[]): void {
    if (cmd.name === CommandName.Connect) return this.connect(cmd, events);
    if (this.state !== ConnectionState.Connected && this.state !== ConnectionState.ConnectPending) {
      throw new ProtocolError(ProtocolErrorCode.BadState, `command '${cmd.name}' without an accepted connect`);
    }
    const txid = cmd.transactionId;
    const arg = cmd.args[0];
    const name = typeof arg === 'string' ? arg : '';
    switch (cmd.name) {
      case CommandName.CreateStream:
        return this.send(resultMessage(txid, null, this.streams.create()));
      case CommandName.ReleaseStream:
        return this.acknowledge(txid);
      case CommandName.FCPublish:
        this.acknowledge(txid);
        return this.send(reply.fcNotice(CommandName.OnFCPublish, StatusCode.PublishStart, name));
      case CommandName.FCSubscribe: // librtmp sends it before playing a live stream
        this.acknowledge(txid);
        return this.send(reply.fcNotice(CommandName.OnFCSubscribe, StatusCode.PlayStart, name));
      case CommandName.FCUnpublish: {
        const path = splitQuery(name).path;
        const stream = this.streams.find((s) => s.name === path && isPublishing(s));
        if (stream !== undefined) this.endStream(stream.id, events, true, false);
        this.acknowledge(txid);
        return this.send(reply.fcNotice(CommandName.OnFCUnpublish, StatusCode.UnpublishSuccess, name));
      }
      case CommandName.Publish: {
        const type = cmd.args[1];
        return this.startStream('publish', cmd, name, typeof type === 'string' && type !== '' ? type : 'live', events);
      }
      case CommandName.Play:
        return this.startStream('play', cmd, name, '', events);
      case CommandName.Play2: {
        const streamName = isPlain(arg ?? null) ? (arg as Record<string, Amf0Value>)['streamName'] : undefined;
        return this.startStream('play', cmd, typeof streamName === 'string' ? streamName : '', '', events);
      }
      case CommandName.DeleteStream:
        if (typeof arg === 'number') this.endStream(arg, events, false, true);
        return;
      case CommandName.CloseStream:
        return this.endStream(cmd.messageStreamId, events, true, false);
      case CommandName.GetStreamLength:
        if (txid > 0) this.send(resultMessage(txid, null, 0));
        return;
      case CommandName.ReceiveAudio:
      case CommandName.ReceiveVideo:
      case CommandName.Pause:
      case CommandName.Seek:
      case CommandName.Close:
      case CommandName.Result:
      case CommandName.Error:
      case CommandName.OnStatus:
        return;
      default:
        if (txid > 0) this.send(reply.callFailed(txid, cmd.name));
    }
  }

  private acknowledge(transactionId: number): void {
    if (transactionId > 0) this.send(resultMessage(transactionId, null));
  }

  private connect(cmd: Command, events: ServerSessionEvent[]): void {
    if (this.state !== ConnectionState.AwaitingConnect) {
      throw new ProtocolError(ProtocolErrorCode.BadState, 'connect sent twice');
    }
    const props = isPlain(cmd.commandObject) ? cmd.commandObject : {};
    const text = (key: string): string => {
      const value = props[key];
      return typeof value === 'string' ? value : '';
    };
    const encoding = props['objectEncoding'];
    const app = splitQuery(text('app'));
    const tcUrl = text('tcUrl');
    this.state = ConnectionState.ConnectPending;
    this.connectTransactionId = cmd.transactionId;
    this.objectEncoding = typeof encoding === 'number' && Number.isFinite(encoding) ? encoding : 0;
    events.push({
      type: 'connect',
      transactionId: cmd.transactionId,
      app: app.path.replace(/\/+$/, ''),
      tcUrl,
      query: app.query !== '' ? app.query : splitQuery(tcUrl).query,
      flashVer: text('flashVer'),
      objectEncoding: this.objectEncoding,
    });
  }

  private startStream(command: 'publish' | 'play', cmd: Command, name: string, publishType: string, events: ServerSessionEvent[]): void {
    const { start, messages } = this.streams.start(command, cmd.messageStreamId, name, publishType);
    this.send(...messages);
    if (start === undefined) return;
    const { kind, ...fields } = start;
    events.push({ type: kind, ...fields } as ServerSessionEvent);
  }

  /** closeStream / deleteStream / FCUnpublish: raise unpublish or stop-play and return the stream to idle. */
  private endStream(streamId: number, events: ServerSessionEvent[], confirm: boolean, remove: boolean): void {
    const { end, messages } = this.streams.end(streamId, confirm, remove);
    if (end !== undefined) events.push({ type: end.kind, streamId: end.streamId });
    this.send(...messages);
  }
}

// The NetStreams of one server connection: createStream ids, publish/play state, and the replies each state change sends (Adobe RTMP 1.0 §7.2.1.3, §7.2.2).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { StatusCode, splitQuery } from './commands.ts';
import type { RtmpMessage } from './message-types.ts';
import * as reply from './server-replies.ts';

export const NetStreamState = {
  Idle: 'idle',
  PublishPending: 'publish-pending',
  Publishing: 'publishing',
  PlayPending: 'play-pending',
  Playing: 'playing',
} as const;
export type NetStreamState = (typeof NetStreamState)[keyof typeof NetStreamState];

export type NetStreamEntry = {
  id: number;
  state: NetStreamState;
  /** stream name without query, once publish/play named it */
  name: string;
  /** a playing stream was told its publisher left (StreamEof + UnpublishNotify sent) */
  publisherGone: boolean;
};

export type StreamStart =
  | { kind: 'publish'; streamId: number; streamName: string; query: string; publishType: string }
  | { kind: 'play'; streamId: number; streamName: string; query: string };
export type StreamEnd = { kind: 'unpublish' | 'stop-play'; streamId: number };

/** At most this many live NetStreams per connection; createStream beyond it is a protocol error. */
export const MAX_NET_STREAMS = 16;

export function isPublishing(stream: NetStreamEntry): boolean {
  return stream.state === NetStreamState.Publishing || stream.state === NetStreamState.PublishPending;
}

export function isPlaying(stream: NetStreamEntry): boolean {
  return stream.state === NetStreamState.Playing || stream.state === NetStreamState.PlayPending;
}

/** State changes return the messages to send; the session decides when they go out. */
export class NetStreamTable {
  private readonly streams = new Map<number, NetStreamEntry>();
  private nextId = 1;

  /** createStream: ids 1, 2, 3… in order for each connection. */
  create(): number {
    if (this.streams.size >= MAX_NET_STREAMS) {
      throw new ProtocolError(ProtocolErrorCode.TooLarge, `more than ${MAX_NET_STREAMS} streams on one connection`);
    }
    const id = this.nextId++;
    this.streams.set(id, { id, state: NetStreamState.Idle, name: '', publisherGone: false });
    return id;
  }

  get(id: number): NetStreamEntry | undefined {
    return this.streams.get(id);
  }

  find(predicate: (entry: NetStreamEntry) => boolean): NetStreamEntry | undefined {
    for (const entry of this.streams.values()) if (predicate(entry)) return entry;
    return undefined;
  }

  /** publish/play on `streamId`: a start to report, or (empty name) only an error reply. */
  start(command: 'publish' | 'play', streamId: number, name: string, publishType: string): { start?: StreamStart; messages: RtmpMessage[] } {
    const stream = this.streams.get(streamId);
    if (stream === undefined) throw new ProtocolError(ProtocolErrorCode.BadState, `${command} on unknown stream ${streamId}`);
    if (stream.state !== NetStreamState.Idle) {
      throw new ProtocolError(ProtocolErrorCode.BadState, `${command} on stream ${streamId} which is ${stream.state}`);
    }
    const { path, query } = splitQuery(name);
    if (path === '') {
      const code = command === 'publish' ? StatusCode.PublishBadName : StatusCode.PlayStreamNotFound;
      return { messages: [reply.streamError(streamId, code, `${command === 'publish' ? 'Publish' : 'Play'} requires a stream name.`)] };
    }
    stream.name = path;
    stream.publisherGone = false;
    if (command === 'publish') {
      stream.state = NetStreamState.PublishPending;
      return { start: { kind: 'publish', streamId, streamName: path, query, publishType }, messages: [] };
    }
    stream.state = NetStreamState.PlayPending;
    return { start: { kind: 'play', streamId, streamName: path, query }, messages: [] };
  }

  /** closeStream / deleteStream / FCUnpublish: what ended, and Unpublish.Success if `confirm`. */
  end(streamId: number, confirm: boolean, remove: boolean): { end?: StreamEnd; messages: RtmpMessage[] } {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return { messages: [] };
    if (remove) this.streams.delete(streamId);
    const wasPublishing = isPublishing(stream);
    const wasPlaying = isPlaying(stream);
    stream.state = NetStreamState.Idle;
    stream.publisherGone = false;
    if (wasPublishing) {
      return { end: { kind: 'unpublish', streamId }, messages: confirm ? [reply.unpublished(streamId, stream.name)] : [] };
    }
    return wasPlaying ? { end: { kind: 'stop-play', streamId }, messages: [] } : { messages: [] };
  }

  /** Moves a pending stream to its decided state; replies only if the stream is still pending. */
  decide(streamId: number, pending: NetStreamState, next: NetStreamState, messages: (name: string) => RtmpMessage[]): RtmpMessage[] {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.state !== pending) return []; // the client closed it meanwhile
    stream.state = next;
    return messages(stream.name);
  }

  /** A playing stream's publisher left (publisherGone) or came back; replies only on a change. */
  publisherChanged(streamId: number, gone: boolean): RtmpMessage[] {
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.state !== NetStreamState.Playing || stream.publisherGone === gone) return [];
    stream.publisherGone = gone;
    return gone ? reply.playPublisherLeft(streamId, stream.name) : reply.playPublisherBack(streamId, stream.name);
  }

  /** Server-side end of a play: StreamEof + UnpublishNotify unless already sent, then Play.Stop. */
  endPlay(streamId: number): RtmpMessage[] {
    const stream = this.streams.get(streamId);
    if (stream === undefined || !isPlaying(stream)) return [];
    const messages = stream.state === NetStreamState.Playing ? this.publisherChanged(streamId, true) : [];
    stream.state = NetStreamState.Idle;
    stream.publisherGone = false;
    return [...messages, reply.playStopped(streamId, stream.name)];
  }
}

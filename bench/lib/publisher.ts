// The load tool's publisher: sends the tags of an FLV file over RTMP at real-time pace, looping
// with monotonic timestamps, and records when each video frame left so viewers can measure
// end-to-end latency (see metrics.ts).
import type { Socket } from 'bun';
import type { ClientSession } from '../../src/rtmp/client-session.ts';
import { RtmpMessageType } from '../../src/rtmp/message-types.ts';
import type { FlvFileTag } from './flv-file.ts';
import { isAudioFrame, isVideoFrame, tail32Of } from './media-probe.ts';
import type { SendTimeTable } from './metrics.ts';
import { SocketWriter } from './socket-writer.ts';
import { rtmpClientSession, type Endpoint } from './viewers.ts';

const TICK_MS = 5;
const LOOP_GAP_MS = 33;

export type PublisherStats = {
  tagsSent: number;
  payloadBytes: number;
  wireBytes: number;
  loops: number;
  /** how far behind schedule a tag left, worst case */
  maxLagMs: number;
  /** bytes the socket had not taken yet, worst case */
  maxQueuedBytes: number;
};

export class Publisher {
  readonly stats: PublisherStats = { tagsSent: 0, payloadBytes: 0, wireBytes: 0, loops: 0, maxLagMs: 0, maxQueuedBytes: 0 };
  private readonly session: ClientSession;
  private socket: Socket<Publisher> | undefined;
  private writer: SocketWriter | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly frames: FlvFileTag[];
  private readonly headers: FlvFileTag[];
  private readonly loopLengthMs: number;
  private next = 0;
  private loopOffsetMs = 0;
  private startMs = 0;
  private readyResolve: (() => void) | undefined;
  private readyReject: ((err: Error) => void) | undefined;
  private stopped = false;
  error: string | undefined;

  constructor(
    private readonly endpoint: Endpoint,
    tags: readonly FlvFileTag[],
    private readonly table: SendTimeTable,
  ) {
    this.session = rtmpClientSession(endpoint, 'publish');
    // metadata and sequence headers go once, first; frames loop
    // An end-of-sequence tag (the file's last video tag) is neither a header nor a frame: sent
    // first, its late timestamp would hold every following frame's timestamp back.
    this.headers = tags.filter((t) => !isFrame(t) && !isEndOfSequence(t));
    this.frames = tags.filter(isFrame);
    const first = this.frames[0]?.timestampMs ?? 0;
    const last = this.frames.at(-1)?.timestampMs ?? 0;
    this.loopLengthMs = last - first + LOOP_GAP_MS;
    if (this.frames.length === 0) throw new Error('the FLV file holds no audio or video frame');
  }

  /** media bitrate of the file, bits per second */
  get fileBitrateBps(): number {
    let bytes = 0;
    for (const t of this.frames) bytes += t.body.length;
    return (bytes * 8 * 1000) / this.loopLengthMs;
  }

  /** connects and publishes; resolves when the server said NetStream.Publish.Start */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    Bun.connect<Publisher>({
      hostname: this.endpoint.host,
      port: this.endpoint.port,
      data: this,
      socket: {
        binaryType: 'uint8array',
        open: (socket) => {
          this.socket = socket;
          this.writer = new SocketWriter(socket as Socket<unknown>);
          socket.setNoDelay(true);
          this.session.start();
          this.flush();
        },
        data: (_socket, data: Uint8Array) => this.onData(data),
        drain: () => this.writer?.drain(),
        close: () => this.fail('publisher connection closed'),
        error: (_socket, err) => this.fail(`publisher socket: ${err.message}`),
        connectError: (_socket, err) => this.fail(`publisher connect: ${err.message}`),
      },
    }).catch((err: unknown) => this.fail(`publisher connect: ${String(err)}`));
    return ready;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.socket) {
      this.session.close();
      this.flush();
      this.socket.end();
    }
    this.readyReject = undefined;
  }

  private onData(data: Uint8Array): void {
    let events;
    try {
      events = this.session.push(data);
    } catch (err) {
      this.fail(`publisher: ${String(err)}`);
      return;
    }
    for (const e of events) {
      if (e.type === 'ready') this.begin();
      else if (e.type === 'rejected') this.fail(`publish rejected at ${e.stage}: ${e.code} ${e.description}`);
    }
    this.flush();
  }

  private begin(): void {
    for (const t of this.headers) this.sendTag(t, 0);
    this.flush();
    this.startMs = performance.now() - (this.frames[0]?.timestampMs ?? 0);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
    this.readyResolve?.();
    this.readyResolve = undefined;
  }

  private tick(): void {
    const now = performance.now();
    const elapsed = now - this.startMs;
    let sentAny = false;
    while (true) {
      const tag = this.frames[this.next];
      if (!tag) break;
      const due = tag.timestampMs + this.loopOffsetMs;
      if (due > elapsed) break;
      const lag = elapsed - due;
      if (lag > this.stats.maxLagMs) this.stats.maxLagMs = lag;
      this.sendTag(tag, this.loopOffsetMs);
      sentAny = true;
      this.next++;
      if (this.next === this.frames.length) {
        this.next = 0;
        this.loopOffsetMs += this.loopLengthMs;
        this.stats.loops++;
      }
    }
    if (sentAny) {
      this.flush();
      const sentAt = performance.now();
      // stamp every video frame of this tick with the time its bytes went to the socket
      for (const k of this.stampQueue) this.table.recordSend(k.size, k.tail, sentAt);
      this.stampQueue.length = 0;
    }
  }

  private readonly stampQueue: { size: number; tail: number }[] = [];

  private sendTag(tag: FlvFileTag, offsetMs: number): void {
    const ts = tag.timestampMs + offsetMs;
    if (tag.type === RtmpMessageType.DataAmf0) {
      this.session.sendDataFrame(tag.body, ts);
    } else {
      this.session.sendMedia(tag.type, ts, tag.body);
      if (tag.type === RtmpMessageType.Video) this.stampQueue.push({ size: tag.body.length, tail: tail32Of(tag.body) });
    }
    this.stats.tagsSent++;
    this.stats.payloadBytes += tag.body.length;
  }

  private flush(): void {
    const out = this.session.takeOutgoing();
    if (out.length === 0 || !this.writer) return;
    for (const c of out) this.stats.wireBytes += c.length;
    this.writer.writeAll(out);
    if (this.writer.queuedBytes > this.stats.maxQueuedBytes) this.stats.maxQueuedBytes = this.writer.queuedBytes;
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.error ??= reason;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.readyReject?.(new Error(reason));
    this.readyReject = undefined;
  }
}

/** legacy AVC/HEVC end of sequence: packet type 2 */
function isEndOfSequence(t: FlvFileTag): boolean {
  return t.type === RtmpMessageType.Video && t.body.length > 1 && (t.body[0]! & 0x80) === 0 && t.body[1] === 2;
}

function isFrame(t: FlvFileTag): boolean {
  const b0 = t.body.length > 0 ? t.body[0]! : -1;
  const b1 = t.body.length > 1 ? t.body[1]! : -1;
  if (t.type === RtmpMessageType.Video) return isVideoFrame(b0, b1);
  if (t.type === RtmpMessageType.Audio) return isAudioFrame(b0, b1);
  return false;
}

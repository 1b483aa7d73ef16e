// One keep-alive HTTP/1.1 connection for the HLS benchmark's watchers and viewers, on a raw Bun
// socket (RFC 9112): GET requests one at a time, each resolved when the last body byte arrives,
// with the time the head and the body arrived. Raw sockets rather than fetch(): fetch's shared
// connection pool would queue blocking LL-HLS requests behind each other at a few hundred
// viewers, and its completion time is taken on another thread.
import type { Socket } from 'bun';
import { concatBytes } from '../../src/media/bytes.ts';
import { HttpResponseReader, type HttpHead } from './http-response-reader.ts';
import { delegatingHandlers } from './socket-handlers.ts';
import { SocketWriter } from './socket-writer.ts';

export type HttpGetResult = {
  status: number;
  /** the body, or an empty array when the client was made with keepBody false */
  body: Uint8Array;
  bodyBytes: number;
  startMs: number;
  headMs: number;
  doneMs: number;
};

type InFlight = {
  path: string;
  reader: HttpResponseReader;
  chunks: Uint8Array[];
  bodyBytes: number;
  startMs: number;
  headMs: number;
  resolve: (r: HttpGetResult) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

const encoder = new TextEncoder();

export class HttpKeepAliveClient {
  /** every byte received, heads included */
  wireBytesIn = 0;
  requests = 0;
  private socket: Socket<HttpKeepAliveClient> | undefined;
  private writer: SocketWriter | undefined;
  private connecting: Promise<void> | undefined;
  private connectResolve: (() => void) | undefined;
  private connectReject: ((e: Error) => void) | undefined;
  private current: InFlight | undefined;
  private busy: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly keepBody = true,
    private readonly timeoutMs = 15_000,
  ) {}

  /** GET `path`; requests made while one is in flight wait their turn on this connection */
  get(path: string): Promise<HttpGetResult> {
    const run = this.busy.then(
      () => this.send(path),
      () => this.send(path),
    );
    this.busy = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    this.socket?.end();
    this.socket = undefined;
    this.current?.reject(new Error('client closed'));
  }

  private async send(path: string): Promise<HttpGetResult> {
    if (this.closed) throw new Error('client closed');
    await this.connect();
    const socket = this.socket;
    if (!socket || !this.writer) throw new Error('not connected');
    return new Promise<HttpGetResult>((resolve, reject) => {
      const flight: InFlight = {
        path,
        chunks: [],
        bodyBytes: 0,
        startMs: performance.now(),
        headMs: -1,
        resolve,
        reject,
        reader: new HttpResponseReader(
          (head: HttpHead) => this.onHead(head),
          (bytes) => this.onBody(bytes),
        ),
        timer: setTimeout(() => {
          this.fail(new Error(`GET ${path}: no complete response in ${this.timeoutMs} ms`));
        }, this.timeoutMs),
      };
      this.current = flight;
      this.requests++;
      this.writer!.write(encoder.encode(`GET ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nUser-Agent: weir-hls-bench\r\n\r\n`));
    });
  }

  private connect(): Promise<void> {
    if (this.socket) return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<void>((resolve, reject) => {
      this.connectResolve = resolve;
      this.connectReject = reject;
    });
    Bun.connect<HttpKeepAliveClient>({ hostname: this.host, port: this.port, data: this, socket: HANDLERS }).catch((err: unknown) =>
      this.onConnectError(new Error(`connect: ${String(err)}`)),
    );
    return this.connecting;
  }

  onOpen(socket: Socket<HttpKeepAliveClient>): void {
    this.socket = socket;
    this.writer = new SocketWriter(socket as Socket<unknown>);
    socket.setNoDelay(true);
    this.connecting = undefined;
    this.connectResolve?.();
  }

  onConnectError(err: Error): void {
    this.connecting = undefined;
    this.connectReject?.(err);
  }

  onData(bytes: Uint8Array): void {
    this.wireBytesIn += bytes.length;
    const flight = this.current;
    if (!flight) return;
    try {
      flight.reader.push(bytes);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (!flight.reader.done) return;
    clearTimeout(flight.timer);
    this.current = undefined;
    const head = flight.reader.head!;
    if (head.headers.get('connection')?.toLowerCase() === 'close') this.drop();
    const body = this.keepBody ? concatBytes(flight.chunks) : new Uint8Array(0);
    flight.resolve({ status: head.status, body, bodyBytes: flight.bodyBytes, startMs: flight.startMs, headMs: flight.headMs, doneMs: performance.now() });
  }

  onDrain(): void {
    this.writer?.drain();
  }

  onSocketError(socket: Socket<HttpKeepAliveClient>): void {
    this.onClose(socket);
  }

  onClose(socket: Socket<HttpKeepAliveClient>): void {
    if (socket !== this.socket) return; // an older connection we already dropped
    this.socket = undefined;
    this.writer = undefined;
    if (this.current) this.fail(new Error(`GET ${this.current.path}: connection closed`));
  }

  private onHead(_head: HttpHead): void {
    if (this.current) this.current.headMs = performance.now();
  }

  private onBody(bytes: Uint8Array): void {
    const flight = this.current;
    if (!flight) return;
    flight.bodyBytes += bytes.length;
    if (this.keepBody) flight.chunks.push(bytes.slice());
  }

  private fail(err: Error): void {
    const flight = this.current;
    this.current = undefined;
    this.drop();
    if (flight) {
      clearTimeout(flight.timer);
      flight.reject(err);
    }
  }

  private drop(): void {
    const s = this.socket;
    this.socket = undefined;
    this.writer = undefined;
    s?.end();
  }
}

const HANDLERS = delegatingHandlers<HttpKeepAliveClient>();

// One outgoing RTMP or RTMPS connection driven by the pure ClientSession: dials (TCP, or TLS
// verifying the certificate unless told not to), feeds the socket's bytes to the session, and
// sends everything through one ConnectionWriter (the engine's only backpressure point), so a
// forward target that stops reading costs a bounded queue and never the publisher.
import type { Socket } from 'bun';
import { ClientSession, type ClientRole, type ClientSessionEvent } from '../rtmp/client-session.ts';
import { ConnectionWriter, type WriterLimits } from '../server/connection-writer.ts';
import { dialTarget } from './dial-target.ts';
import { parseRtmpUrl, type RtmpEndpoint } from './relay-url.ts';

export type RtmpClientConnectionOptions = Readonly<{
  url: string;
  role: ClientRole;
  insecureTls: boolean;
  limits: WriterLimits;
  /** the session must reach 'ready' within this time */
  readyTimeoutMs: number;
  onEvent: (event: ClientSessionEvent, connection: RtmpClientConnection) => void;
  onBytesIn?: (n: number) => void;
  onBytesOut?: (n: number) => void;
  /** once per connection: null when closed by us, the reason otherwise */
  onClose: (error: string | null) => void;
}>;

export class RtmpClientConnection {
  readonly endpoint: RtmpEndpoint;
  readonly session: ClientSession;
  readonly writer: ConnectionWriter;
  private socket: Socket<undefined> | null = null;
  private closed = false;
  private readyTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: RtmpClientConnectionOptions) {
    this.endpoint = parseRtmpUrl(options.url);
    this.session = new ClientSession({
      app: this.endpoint.app,
      tcUrl: this.endpoint.tcUrl,
      role: options.role,
      streamName: this.endpoint.streamName,
      randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
      epochMs: Date.now(),
    });
    this.writer = new ConnectionWriter(
      {
        write: (bytes) => (this.socket ? this.socket.write(bytes) : 0),
        end: () => this.socket?.end(),
        abort: () => this.socket?.terminate(),
      },
      options.limits,
      (reason) => this.finish(reason),
      (n) => options.onBytesOut?.(n),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  start(): void {
    const { host, port, tls } = this.endpoint;
    this.readyTimer = setTimeout(() => this.fail(`no ${this.options.role} start within ${this.options.readyTimeoutMs} ms`), this.options.readyTimeoutMs);
    Bun.connect<undefined>({
      ...dialTarget(host, port, tls, this.options.insecureTls),
      socket: {
        open: (socket) => {
          if (this.closed) {
            socket.terminate();
            return;
          }
          this.socket = socket;
          this.session.start();
          this.flushSession();
        },
        data: (_socket, data) => this.receive(data),
        drain: () => this.writer.resume(),
        close: () => this.finish('connection closed by the peer'),
        error: (_socket, error) => this.finish(error.message),
        connectError: (_socket, error) => this.finish(`cannot connect to ${host}:${port}: ${error.message}`),
        end: () => this.finish('connection ended by the peer'),
        timeout: () => this.finish('socket timeout'),
      },
    }).catch((error: unknown) => this.finish(`cannot connect to ${host}:${port}: ${(error as Error).message}`));
  }

  flushSession(): void {
    for (const bytes of this.session.takeOutgoing()) this.writer.writeControl(bytes);
  }

  /** Ends the connection politely (deleteStream, then close after what is queued). */
  close(): void {
    if (this.closed) return;
    try {
      this.session.close();
      this.flushSession();
    } catch {
      // a session in a bad state has nothing polite to say
    }
    this.closed = true;
    this.clearTimer();
    this.writer.endGracefully();
    if (!this.socket) this.writer.abort();
    this.options.onClose(null);
  }

  /** Ends the connection with an error. */
  fail(reason: string): void {
    this.finish(reason);
  }

  private receive(data: Uint8Array): void {
    if (this.closed) return;
    this.options.onBytesIn?.(data.byteLength);
    let events: ClientSessionEvent[];
    try {
      events = this.session.push(data);
    } catch (error) {
      this.fail(`protocol error: ${(error as Error).message}`);
      return;
    }
    for (const event of events) {
      if (event.type === 'ready') this.clearTimer();
      if (event.type === 'rejected') {
        this.fail(`${event.stage} refused: ${event.code} ${event.description}`.trim());
        return;
      }
      this.options.onEvent(event, this);
      if (this.closed) return;
    }
    this.flushSession();
  }

  private clearTimer(): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    this.writer.abort();
    this.socket?.terminate();
    this.options.onClose(reason);
  }
}

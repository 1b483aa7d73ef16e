// One RTSP control connection of the pull client (RFC 2326 §10, RFC 7826 §13): a TCP or TLS socket, requests matched
// to responses by CSeq (one outstanding at a time, as cameras expect), Basic/Digest answers to a 401 (RFC 2326 §D.2),
// the Session header once SETUP gave one, and interleaved `$` frames (§10.12) handed to the caller as they arrive.
// Credentials never appear in what this file logs or throws: requests go to the URL without its userinfo.
import type { Socket } from 'bun';
import { type Credentials, RtspAuthenticator } from '../rtsp/rtsp-auth.ts';
import { encodeInterleaved, encodeRequest } from '../rtsp/rtsp-encode.ts';
import { headerValue, headerValues, type RtspHeaders, type RtspResponse } from '../rtsp/rtsp-message.ts';
import { RtspParser } from '../rtsp/rtsp-parser.ts';
import { ConnectionWriter, DEFAULT_WRITER_LIMITS } from '../server/connection-writer.ts';
import { dialTarget } from './dial-target.ts';

// Alike in shape (constants, then a Readonly options type) to vod/mp4-sample-table.ts, recorder/vod-library.ts,
// server/webrtc/whip-publisher.ts and control/services/login-rate-limiter.ts: declarations only.
const USER_AGENT = 'Weir';
const STATUS_UNAUTHORIZED = 401;

export type RtspClientConnectionOptions = Readonly<{
  host: string;
  port: number;
  tls: boolean;
  insecureTls: boolean;
  credentials: Credentials | undefined;
  /** how long a request may wait for its response */
  responseTimeoutMs: number;
  onInterleaved: (channel: number, payload: Uint8Array) => void;
  onBytesIn: (n: number) => void;
  /** once: null when we closed it, the reason otherwise */
  onClose: (reason: string | null) => void;
}>;

type Pending = { cseq: number; method: string; resolve: (r: RtspResponse) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };

export class RtspRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class RtspClientConnection {
  private socket: Socket<undefined> | null = null;
  private readonly writer: ConnectionWriter;
  private readonly parser = new RtspParser();
  private readonly auth: RtspAuthenticator | undefined;
  private cseq = 0;
  private pending: Pending | null = null;
  private closed = false;
  private abortConnect: ((reason: string) => void) | null = null;
  /** the Session id from SETUP, sent with every later request */
  session: string | undefined;

  constructor(private readonly options: RtspClientConnectionOptions) {
    this.auth = options.credentials ? new RtspAuthenticator(options.credentials, randomHex(16)) : undefined;
    this.writer = new ConnectionWriter(
      {
        write: (bytes) => (this.socket ? this.socket.write(bytes) : 0),
        end: () => this.socket?.end(),
        abort: () => this.socket?.terminate(),
      },
      DEFAULT_WRITER_LIMITS,
      (reason) => this.finish(reason),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** the server's IP address once connected (UDP media must come from it) */
  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }

  /** Resolves once connected; rejects (and closes) when the connection cannot be made within the response timeout. */
  connect(): Promise<void> {
    const { host, port, tls } = this.options;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (message: string): void => {
        if (!settled) reject(new Error(message));
        settled = true;
        this.finish(message);
      };
      // a blackholed address would otherwise wait for the OS's SYN retries (minutes)
      const timer = setTimeout(() => fail(`cannot connect to ${host}:${port}: no answer within ${this.options.responseTimeoutMs} ms`), this.options.responseTimeoutMs);
      this.abortConnect = (reason) => {
        clearTimeout(timer);
        if (!settled) reject(new Error(reason));
        settled = true;
      };
      Bun.connect<undefined>({
        ...dialTarget(host, port, tls, this.options.insecureTls),
        socket: {
          open: (socket) => {
            clearTimeout(timer);
            if (this.closed) {
              socket.terminate();
              fail('connection closed');
              return;
            }
            this.socket = socket;
            settled = true;
            resolve();
          },
          // a refused certificate shows up here (with verification on, the socket closes right after); with it off,
          // Bun still reports the unverified certificate, and the connection goes on
          handshake: (_socket, success, authorizationError) => {
            if (!this.options.insecureTls && (!success || authorizationError)) fail(`TLS handshake with ${host}:${port} failed: ${authorizationError?.message ?? 'refused'}`);
          },
          data: (_socket, data) => this.receive(new Uint8Array(data)),
          drain: () => this.writer.resume(),
          close: () => this.finish('connection closed by the server'),
          error: (_socket, error) => this.finish(error.message),
          connectError: (_socket, error) => fail(`cannot connect to ${host}:${port}: ${error.message}`),
          end: () => this.finish('connection ended by the server'),
          timeout: () => this.finish('socket timeout'),
        },
      }).catch((error: unknown) => fail(`cannot connect to ${host}:${port}: ${(error as Error).message}`));
    });
  }

  /**
   * Sends one request and waits for its response; answers a 401 once per new challenge with the URL's credentials.
   * Non-2xx answers reject with an RtspRequestError naming the method and status.
   */
  async request(method: string, uri: string, headers: RtspHeaders = []): Promise<RtspResponse> {
    let answeredChallenge = false;
    for (;;) {
      const response = await this.send(method, uri, headers);
      if (response.status === STATUS_UNAUTHORIZED) {
        const challenges = headerValues(response.headers, 'www-authenticate');
        if (!this.auth) throw new RtspRequestError(`RTSP ${method}: 401 Unauthorized (the server wants credentials: put user:password@ in the URL)`, 401);
        if (answeredChallenge || !this.auth.onUnauthorized(challenges)) {
          const reason = challenges.length === 0 ? 'no usable challenge' : 'credentials rejected';
          throw new RtspRequestError(`RTSP ${method}: 401 Unauthorized (${reason})`, 401);
        }
        answeredChallenge = true;
        continue;
      }
      if (response.status < 200 || response.status >= 300) {
        throw new RtspRequestError(`RTSP ${method}: ${response.status} ${response.reason}`.trim(), response.status);
      }
      return response;
    }
  }

  /** A keepalive: sent without waiting, and skipped while a request is in flight (never two outstanding). */
  keepalive(method: string, uri: string): void {
    if (this.closed || this.pending) return;
    void this.send(method, uri, []).catch(() => undefined);
  }

  /** A last request (TEARDOWN) written whatever is in flight; no answer is awaited. */
  sendLast(method: string, uri: string): void {
    if (this.closed) return;
    this.writer.writeControl(encodeRequest({ method, uri, headers: this.headersFor(++this.cseq, method, uri, []) }));
  }

  /** One RTP/RTCP packet on an interleaved channel. */
  writeInterleaved(channel: number, payload: Uint8Array): void {
    if (this.closed) return;
    this.writer.writeControl(encodeInterleaved(channel, payload));
  }

  /** Ends the connection after what is queued (a TEARDOWN just sent still goes out). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rejectPending(new Error('connection closed'));
    this.writer.endGracefully();
    if (!this.socket) this.writer.abort();
    this.options.onClose(null);
  }

  fail(reason: string): void {
    this.finish(reason);
  }

  private send(method: string, uri: string, headers: RtspHeaders): Promise<RtspResponse> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const cseq = ++this.cseq;
    const all = this.headersFor(cseq, method, uri, headers);
    return new Promise<RtspResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.cseq !== cseq) return;
        this.pending = null;
        const error = new Error(`RTSP ${method}: no response within ${this.options.responseTimeoutMs} ms`);
        reject(error);
        this.finish(error.message);
      }, this.options.responseTimeoutMs);
      this.pending = { cseq, method, resolve, reject, timer };
      this.writer.writeControl(encodeRequest({ method, uri, headers: all }));
    });
  }

  private headersFor(cseq: number, method: string, uri: string, headers: RtspHeaders): [string, string][] {
    const all: [string, string][] = [['CSeq', String(cseq)], ['User-Agent', USER_AGENT]];
    const authorization = this.auth?.header(method, uri);
    if (authorization !== undefined) all.push(['Authorization', authorization]);
    if (this.session !== undefined) all.push(['Session', this.session]);
    for (const [name, value] of headers) all.push([name, value]);
    return all;
  }

  private receive(data: Uint8Array): void {
    if (this.closed) return;
    this.options.onBytesIn(data.byteLength);
    let messages;
    try {
      messages = this.parser.push(data);
    } catch (error) {
      this.finish(`RTSP protocol error: ${(error as Error).message}`);
      return;
    }
    for (const message of messages) {
      if (this.closed) return;
      if (message.kind === 'interleaved') {
        this.options.onInterleaved(message.channel, message.payload);
      } else if (message.kind === 'response') {
        const pending = this.pending;
        const cseq = Number(headerValue(message.headers, 'cseq') ?? NaN);
        // servers that omit CSeq answer in order: the response belongs to the one request in flight
        if (!pending || (Number.isFinite(cseq) && cseq !== pending.cseq)) continue;
        this.pending = null;
        clearTimeout(pending.timer);
        pending.resolve(message);
      }
      // requests from the server (ANNOUNCE, GET_PARAMETER, SET_PARAMETER) need no answer from a player; ignored
    }
  }

  private rejectPending(error: Error): void {
    this.abortConnect?.(error.message);
    this.abortConnect = null;
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.rejectPending(new Error(reason));
    this.writer.abort();
    this.socket?.terminate();
    this.options.onClose(reason);
  }
}

export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// Incremental RTSP stream decoder (RFC 2326 §4-§7 message syntax, §10.12 embedded binary data; RFC 7826 §14):
// text requests/responses with Content-Length bodies and `$` interleaved frames mixed in one TCP byte stream.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { InterleavedFrame, RtspHeaders, RtspMessage, RtspRequest, RtspResponse } from './rtsp-message.ts';
import { headerValue } from './rtsp-message.ts';

export type RtspParserLimits = Readonly<{
  /** start line plus header fields, up to and including the empty line */
  maxHeaderBytes: number;
  /** a declared Content-Length over this is an error, not an allocation */
  maxBodyBytes: number;
  /** header field count */
  maxHeaders: number;
}>;

export const DEFAULT_RTSP_LIMITS: RtspParserLimits = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 1024 * 1024, maxHeaders: 64 };

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const INTERLEAVED_HEADER_BYTES = 4;
const STATUS_LINE = /^(RTSP\/\d\.\d) (\d{3})(?: (.*))?$/;
const REQUEST_LINE = /^([A-Z_a-z][A-Za-z_-]*) (\S+) (RTSP\/\d\.\d)$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*$/;
const latin1 = new TextDecoder('latin1');

type Head = { start: string; headers: Array<[string, string]>; bodyBytes: number };

export class RtspParser {
  private buf = new Uint8Array(0);
  private start = 0;
  /** bytes after `start` already searched for the end of the header block, so a slow sender costs linear time */
  private scanned = 0;
  private end = 0;
  /** a parsed header block waiting for its body */
  private head: Head | undefined;
  private readonly limits: RtspParserLimits;

  constructor(limits: Partial<RtspParserLimits> = {}) {
    this.limits = { ...DEFAULT_RTSP_LIMITS, ...limits };
  }

  /** Bytes buffered but not yet part of a complete message. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  push(bytes: Uint8Array): RtspMessage[] {
    this.append(bytes);
    const out: RtspMessage[] = [];
    for (;;) {
      const msg = this.next();
      if (msg === undefined) break;
      out.push(msg);
    }
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    return out;
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.end + bytes.length > this.buf.length) {
      const live = this.end - this.start;
      const target = this.buf.length >= live + bytes.length ? this.buf : new Uint8Array(Math.max(live + bytes.length, this.buf.length * 2, 4096));
      target.set(this.buf.subarray(this.start, this.end), 0); // set() copes with the overlap when compacting in place
      this.buf = target;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  private next(): RtspMessage | undefined {
    if (this.head) return this.body(this.head);
    // CRLFs between messages are tolerated (RFC 2326 §4, as in HTTP)
    while (this.start < this.end && (this.buf[this.start] === CR || this.buf[this.start] === LF)) this.start++;
    if (this.start === this.end) return undefined;
    if (this.buf[this.start] === DOLLAR) return this.interleaved();
    const headEnd = this.findHeadEnd();
    if (headEnd === undefined) {
      if (this.end - this.start > this.limits.maxHeaderBytes) {
        throw new ProtocolError(ProtocolErrorCode.TooLarge, `RTSP: header block over ${this.limits.maxHeaderBytes} bytes`);
      }
      this.checkStartLooksLikeText();
      return undefined;
    }
    if (headEnd.end - this.start > this.limits.maxHeaderBytes) {
      throw new ProtocolError(ProtocolErrorCode.TooLarge, `RTSP: header block over ${this.limits.maxHeaderBytes} bytes`);
    }
    const text = latin1.decode(this.buf.subarray(this.start, headEnd.textEnd));
    this.start = headEnd.end;
    this.scanned = 0;
    this.head = this.parseHead(text);
    return this.body(this.head);
  }

  private interleaved(): InterleavedFrame | undefined {
    if (this.end - this.start < INTERLEAVED_HEADER_BYTES) return undefined;
    const channel = this.buf[this.start + 1]!;
    const length = (this.buf[this.start + 2]! << 8) | this.buf[this.start + 3]!;
    if (this.end - this.start < INTERLEAVED_HEADER_BYTES + length) return undefined;
    const from = this.start + INTERLEAVED_HEADER_BYTES;
    const payload = this.buf.slice(from, from + length);
    this.start = from + length;
    return { kind: 'interleaved', channel, payload };
  }

  /** Finds the empty line ending the header block (CRLFCRLF, or bare LFs from sloppy peers). */
  private findHeadEnd(): { textEnd: number; end: number } | undefined {
    const limit = Math.min(this.end, this.start + this.limits.maxHeaderBytes + 4);
    // back up over a line end that may straddle the previous push
    for (let i = this.start + Math.max(0, this.scanned - 3); i < limit; i++) {
      if (this.buf[i] !== LF) continue;
      if (i + 1 >= this.end) break;
      const next = this.buf[i + 1];
      if (next === LF) return { textEnd: i, end: i + 2 };
      if (next === CR) {
        if (i + 2 >= this.end) break;
        if (this.buf[i + 2] === LF) return { textEnd: i, end: i + 3 };
      }
    }
    this.scanned = limit - this.start;
    return undefined;
  }

  /** Garbage that can never become a start line fails now instead of after maxHeaderBytes. */
  private checkStartLooksLikeText(): void {
    const first = this.buf[this.start]!;
    const isLetter = (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a) || first === 0x5f;
    if (!isLetter) throw new ProtocolError(ProtocolErrorCode.Malformed, `RTSP: unexpected byte 0x${first.toString(16)} at message start`);
  }

  private parseHead(text: string): Head {
    const lines = text.split(/\r?\n/);
    const startLine = lines[0]!.replace(/\r$/, '');
    const headers: Array<[string, string]> = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      if (line.length === 0) continue;
      const last = headers[headers.length - 1];
      if ((line[0] === ' ' || line[0] === '\t') && last) {
        last[1] = `${last[1]} ${line.trim()}`; // obsolete line folding
        continue;
      }
      const m = HEADER_LINE.exec(line);
      if (!m) throw new ProtocolError(ProtocolErrorCode.Malformed, `RTSP: bad header line ${JSON.stringify(line.slice(0, 80))}`);
      headers.push([m[1]!, m[2]!]);
      if (headers.length > this.limits.maxHeaders) {
        throw new ProtocolError(ProtocolErrorCode.TooLarge, `RTSP: more than ${this.limits.maxHeaders} header fields`);
      }
    }
    const lengthText = headerValue(headers, 'content-length');
    let bodyBytes = 0;
    if (lengthText !== undefined) {
      if (!/^\d{1,10}$/.test(lengthText)) throw new ProtocolError(ProtocolErrorCode.Malformed, `RTSP: Content-Length ${JSON.stringify(lengthText)}`);
      bodyBytes = Number(lengthText);
      if (bodyBytes > this.limits.maxBodyBytes) {
        throw new ProtocolError(ProtocolErrorCode.TooLarge, `RTSP: Content-Length ${bodyBytes} over ${this.limits.maxBodyBytes}`);
      }
    }
    return { start: startLine, headers, bodyBytes };
  }

  private body(head: Head): RtspRequest | RtspResponse | undefined {
    if (this.end - this.start < head.bodyBytes) return undefined;
    const body = this.buf.slice(this.start, this.start + head.bodyBytes);
    this.start += head.bodyBytes;
    this.head = undefined;
    return toMessage(head.start, head.headers, body);
  }
}

function toMessage(start: string, headers: RtspHeaders, body: Uint8Array): RtspRequest | RtspResponse {
  const status = STATUS_LINE.exec(start);
  if (status) return { kind: 'response', version: status[1]!, status: Number(status[2]), reason: status[3] ?? '', headers, body };
  const request = REQUEST_LINE.exec(start);
  if (request) return { kind: 'request', method: request[1]!, uri: request[2]!, version: request[3]!, headers, body };
  throw new ProtocolError(ProtocolErrorCode.Malformed, `RTSP: bad start line ${JSON.stringify(start.slice(0, 80))}`);
}

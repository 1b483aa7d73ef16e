// RTSP message serializer (RFC 2326 §6 request, §7 response, §10.12 interleaved `$` framing): the inverse of RtspParser.
import type { RtspHeaders } from './rtsp-message.ts';
import { RTSP_VERSION } from './rtsp-message.ts';

const MAX_INTERLEAVED_PAYLOAD = 0xffff;
const encoder = new TextEncoder();

export type RequestInit = Readonly<{ method: string; uri: string; headers?: RtspHeaders; body?: Uint8Array; version?: string }>;
export type ResponseInit = Readonly<{ status: number; reason?: string; headers?: RtspHeaders; body?: Uint8Array; version?: string }>;

export const RTSP_REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

export function encodeRequest(req: RequestInit): Uint8Array {
  return withBody(`${req.method} ${req.uri} ${req.version ?? RTSP_VERSION}\r\n`, req.headers ?? [], req.body);
}

export function encodeResponse(res: ResponseInit): Uint8Array {
  const reason = res.reason ?? RTSP_REASONS[res.status] ?? 'Unknown';
  return withBody(`${res.version ?? RTSP_VERSION} ${res.status} ${reason}\r\n`, res.headers ?? [], res.body);
}

/** `$`, channel, 16-bit length, payload (RFC 2326 §10.12). */
export function encodeInterleaved(channel: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xff) throw new RangeError(`interleaved channel ${channel}`);
  if (payload.length > MAX_INTERLEAVED_PAYLOAD) throw new RangeError(`interleaved payload of ${payload.length} bytes`);
  const out = new Uint8Array(4 + payload.length);
  out[0] = 0x24;
  out[1] = channel;
  out[2] = payload.length >> 8;
  out[3] = payload.length & 0xff;
  out.set(payload, 4);
  return out;
}

function withBody(startLine: string, headers: RtspHeaders, body: Uint8Array | undefined): Uint8Array {
  let text = startLine;
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'content-length') continue; // always derived from the body
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new RangeError(`RTSP header ${name}: line break in field`);
    text += `${name}: ${value}\r\n`;
  }
  if (body && body.length > 0) text += `Content-Length: ${body.length}\r\n`;
  text += '\r\n';
  const head = encoder.encode(text);
  if (!body || body.length === 0) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

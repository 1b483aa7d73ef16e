// RTSP message vocabulary (RFC 2326 §4, §6, §7; RFC 7826 §8): requests, responses, and the interleaved
// binary frames (RFC 2326 §10.12, RFC 7826 §14) that share one TCP stream with them.

/** Header fields in wire order; names keep their case, lookups ignore it. */
export type RtspHeaders = ReadonlyArray<readonly [name: string, value: string]>;

export type RtspRequest = Readonly<{
  kind: 'request';
  method: string;
  uri: string;
  /** "RTSP/1.0" or "RTSP/2.0" */
  version: string;
  headers: RtspHeaders;
  body: Uint8Array;
}>;

export type RtspResponse = Readonly<{
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}>;

/** `$` channel length payload: one RTP or RTCP packet on a TCP connection. */
export type InterleavedFrame = Readonly<{ kind: 'interleaved'; channel: number; payload: Uint8Array }>;

export type RtspMessage = RtspRequest | RtspResponse | InterleavedFrame;

export const RtspMethod = {
  Options: 'OPTIONS',
  Describe: 'DESCRIBE',
  Announce: 'ANNOUNCE',
  Setup: 'SETUP',
  Play: 'PLAY',
  Pause: 'PAUSE',
  Record: 'RECORD',
  Teardown: 'TEARDOWN',
  GetParameter: 'GET_PARAMETER',
  SetParameter: 'SET_PARAMETER',
} as const;
export type RtspMethod = (typeof RtspMethod)[keyof typeof RtspMethod];

export const RTSP_VERSION = 'RTSP/1.0';

/** The first value of a header, matched case-insensitively. */
export function headerValue(headers: RtspHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === wanted) return v;
  return undefined;
}

/** Every value of a header (WWW-Authenticate may come once per scheme). */
export function headerValues(headers: RtspHeaders, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === wanted) out.push(v);
  return out;
}

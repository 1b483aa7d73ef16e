// SDP text codec (RFC 4566 §5): session-level lines, then one section per m= line (§5.14), kept in wire order so
// a parsed description serializes back unchanged; helpers for a=rtpmap (§6), a=fmtp (§6) and a=control (RFC 2326 §C.1.1).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type SdpLine = Readonly<{ type: string; value: string }>;

export type SdpMedia = Readonly<{
  /** "video", "audio", "application"… */
  media: string;
  port: number;
  protocol: string;
  /** payload types as text (RTP/AVP: decimal numbers) */
  formats: readonly string[];
  /** the lines after m=, in order */
  lines: readonly SdpLine[];
}>;

export type SessionDescription = Readonly<{ session: readonly SdpLine[]; media: readonly SdpMedia[] }>;

export const MAX_SDP_BYTES = 64 * 1024;
const MAX_MEDIA = 32;
const LINE = /^([a-z])=(.*)$/;

function malformed(what: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `SDP: ${what}`);
}

export function parseSdp(text: string): SessionDescription {
  if (text.length > MAX_SDP_BYTES) throw new ProtocolError(ProtocolErrorCode.TooLarge, `SDP over ${MAX_SDP_BYTES} bytes`);
  const session: SdpLine[] = [];
  const media: { media: string; port: number; protocol: string; formats: string[]; lines: SdpLine[] }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r$/, '');
    if (line.trim().length === 0) continue;
    const m = LINE.exec(line);
    if (!m) malformed(`bad line ${JSON.stringify(line.slice(0, 80))}`);
    const type = m[1]!;
    const value = m[2]!.trim();
    if (type === 'm') {
      const parts = value.split(/\s+/);
      if (parts.length < 3) malformed(`m=${value}`);
      const portMatch = /^(\d{1,5})(?:\/\d+)?$/.exec(parts[1]!);
      if (!portMatch || Number(portMatch[1]) > 0xffff) malformed(`m= port ${parts[1]}`);
      if (media.length >= MAX_MEDIA) throw new ProtocolError(ProtocolErrorCode.TooLarge, `SDP: more than ${MAX_MEDIA} media`);
      media.push({ media: parts[0]!, port: Number(portMatch[1]), protocol: parts[2]!, formats: parts.slice(3), lines: [] });
    } else if (media.length > 0) {
      media[media.length - 1]!.lines.push({ type, value });
    } else {
      session.push({ type, value });
    }
  }
  if (session[0]?.type !== 'v') malformed('does not start with v=');
  return { session, media };
}

export function encodeSdp(sdp: SessionDescription): string {
  const out: string[] = [];
  for (const l of sdp.session) out.push(`${l.type}=${l.value}`);
  for (const m of sdp.media) {
    out.push(`m=${[m.media, String(m.port), m.protocol, ...m.formats].join(' ')}`);
    for (const l of m.lines) out.push(`${l.type}=${l.value}`);
  }
  return `${out.join('\r\n')}\r\n`;
}

/** Values of `a=name:value` (or `a=name` as ""), in order. */
export function attributes(lines: readonly SdpLine[], name: string): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.type !== 'a') continue;
    const colon = l.value.indexOf(':');
    const n = colon < 0 ? l.value : l.value.slice(0, colon);
    if (n.toLowerCase() === name.toLowerCase()) out.push(colon < 0 ? '' : l.value.slice(colon + 1).trim());
  }
  return out;
}

export type RtpMap = Readonly<{ encoding: string; clockRate: number; channels?: number }>;

/** a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>] */
export function rtpMap(m: SdpMedia, payloadType: string): RtpMap | undefined {
  for (const v of attributes(m.lines, 'rtpmap')) {
    const r = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(v);
    if (!r || r[1] !== payloadType) continue;
    const clockRate = Number(r[3]);
    if (clockRate <= 0 || clockRate > 10_000_000) malformed(`rtpmap clock rate ${r[3]}`);
    return r[4] === undefined ? { encoding: r[2]!, clockRate } : { encoding: r[2]!, clockRate, channels: Number(r[4]) };
  }
  return undefined;
}

/** a=fmtp:<pt> k=v;k2=v2 with lower-cased keys. */
export function fmtp(m: SdpMedia, payloadType: string): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  for (const v of attributes(m.lines, 'fmtp')) {
    const sp = v.search(/\s/);
    if (sp < 0 || v.slice(0, sp) !== payloadType) continue;
    for (const part of v.slice(sp + 1).split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
  }
  return params;
}

/** Resolves a control attribute against the base (Content-Base) as players do: relative paths are appended. */
export function resolveControl(base: string, control: string | undefined): string {
  if (control === undefined || control === '' || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  // plain appending, as ffmpeg and live555 clients do: cameras put queries in Content-Base and expect this
  return `${base}${base.endsWith('/') ? '' : '/'}${control}`;
}

/** The media section's control URL; falls back to the session-level one (or the base) when absent. */
export function mediaControlUrl(sdp: SessionDescription, m: SdpMedia, base: string): string {
  const sessionControl = attributes(sdp.session, 'control')[0];
  const sessionBase = resolveControl(base, sessionControl);
  const own = attributes(m.lines, 'control')[0];
  return own === undefined ? sessionBase : resolveControl(base, own);
}

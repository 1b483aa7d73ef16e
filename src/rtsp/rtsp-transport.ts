// The Transport header (RFC 2326 §12.39, RFC 7826 §18.54): RTP/AVP over UDP or TCP, unicast/multicast,
// client_port, server_port, interleaved channels, ssrc and mode; a request may offer several, comma separated.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type PortPair = readonly [number, number];

export type TransportSpec = Readonly<{
  /** "RTP/AVP" (UDP), "RTP/AVP/TCP"; profile kept as sent for RTP/SAVP and friends */
  profile: string;
  lower: 'udp' | 'tcp';
  delivery?: 'unicast' | 'multicast';
  clientPort?: PortPair;
  serverPort?: PortPair;
  interleaved?: PortPair;
  ssrc?: number;
  mode?: 'play' | 'record';
  destination?: string;
  source?: string;
  ttl?: number;
}>;

function malformed(what: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `RTSP Transport: ${what}`);
}

function parseRange(value: string, max: number, what: string): PortPair {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
  if (!m) malformed(`${what}=${value}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  if (a > max || b > max) malformed(`${what}=${value}`);
  return [a, b];
}

/** Parses one transport spec ("RTP/AVP/TCP;unicast;interleaved=0-1"). */
export function parseTransportSpec(text: string): TransportSpec {
  const parts = text.split(';').map((p) => p.trim()).filter((p) => p.length > 0);
  const protocol = parts.shift();
  if (!protocol) malformed('empty');
  const proto = /^(RTP\/S?AVPF?)(?:\/(UDP|TCP))?$/i.exec(protocol);
  if (!proto) throw new ProtocolError(ProtocolErrorCode.Unsupported, `RTSP Transport: protocol ${protocol}`);
  const lower = proto[2]?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  const spec: { -readonly [K in keyof TransportSpec]: TransportSpec[K] } = { profile: proto[1]!.toUpperCase() + (lower === 'tcp' ? '/TCP' : ''), lower };
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).replace(/^"|"$/g, '');
    switch (key) {
      case 'unicast':
      case 'multicast':
        spec.delivery = key;
        break;
      case 'client_port':
        spec.clientPort = parseRange(value, 0xffff, key);
        break;
      case 'server_port':
        spec.serverPort = parseRange(value, 0xffff, key);
        break;
      case 'interleaved':
        spec.interleaved = parseRange(value, 0xff, key);
        break;
      case 'ssrc': {
        // some servers send decimal, the RFC says 8 hex digits
        if (!/^[0-9A-Fa-f]{1,8}$/.test(value)) malformed(`ssrc=${value}`);
        spec.ssrc = Number.parseInt(value, 16) >>> 0;
        break;
      }
      case 'mode': {
        const mode = value.toLowerCase();
        if (mode === 'play' || mode === 'record' || mode === 'receive') spec.mode = mode === 'play' ? 'play' : 'record';
        else malformed(`mode=${value}`);
        break;
      }
      case 'destination':
        spec.destination = value;
        break;
      case 'source':
        spec.source = value;
        break;
      case 'ttl':
        if (!/^\d{1,3}$/.test(value)) malformed(`ttl=${value}`);
        spec.ttl = Number(value);
        break;
      default:
        break; // append, layers, port, and extensions are ignored
    }
  }
  return spec;
}

/** Every spec of a Transport header value, in preference order. */
export function parseTransport(header: string): TransportSpec[] {
  const specs = header.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (specs.length === 0) malformed('empty');
  return specs.map(parseTransportSpec);
}

const pair = (p: PortPair) => `${p[0]}-${p[1]}`;

export function encodeTransport(spec: TransportSpec): string {
  const parts = [spec.profile];
  if (spec.delivery) parts.push(spec.delivery);
  if (spec.destination !== undefined) parts.push(`destination=${spec.destination}`);
  if (spec.source !== undefined) parts.push(`source=${spec.source}`);
  if (spec.interleaved) parts.push(`interleaved=${pair(spec.interleaved)}`);
  if (spec.ttl !== undefined) parts.push(`ttl=${spec.ttl}`);
  if (spec.clientPort) parts.push(`client_port=${pair(spec.clientPort)}`);
  if (spec.serverPort) parts.push(`server_port=${pair(spec.serverPort)}`);
  if (spec.ssrc !== undefined) parts.push(`ssrc=${(spec.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (spec.mode) parts.push(`mode=${spec.mode === 'play' ? 'play' : 'record'}`);
  return parts.join(';');
}

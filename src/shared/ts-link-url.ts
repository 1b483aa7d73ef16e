// The two MPEG-TS link URL kinds a pull source or forward target may name, parsed once for both
// the control plane (validation, clear 4xx reasons) and the engine (what to connect to):
//   srt://HOST:PORT?streamid=…&passphrase=…&latency=MS&pbkeylen=16|24|32   (Weir is the caller)
//   udp://HOST:PORT?interface=ADDR&ttl=N&pkt_size=1316                     (unicast or multicast)
// Keys follow srt-live-transmit's URI syntax (latency in milliseconds); unknown keys are refused
// rather than ignored, so a typo never silently drops a passphrase. Pure: no I/O.

export class LinkUrlError extends Error {
  override readonly name = 'LinkUrlError';
}

export const SRT_DEFAULT_LATENCY_MS = 120;
/** libsrt's passphrase bounds (SRTO_PASSPHRASE): 10 to 79 characters. */
const PASSPHRASE_LENGTH = { min: 10, max: 79 } as const;
const LATENCY_RANGE_MS = { min: 20, max: 60_000 } as const;
const STREAM_ID_MAX = 512;
export const TS_PACKET_BYTES = 188;
/** 7 TS packets: the usual MPEG-TS over UDP/SRT datagram (fits a 1500-byte MTU with IP and UDP headers). */
export const UDP_DEFAULT_PACKET_BYTES = 7 * TS_PACKET_BYTES;
const UDP_MAX_PACKET_BYTES = 7 * TS_PACKET_BYTES;

export type SrtLinkEndpoint = Readonly<{
  host: string;
  port: number;
  streamId: string;
  passphrase: string | null;
  keyLengthBytes: 16 | 24 | 32;
  latencyMs: number;
}>;

export type UdpLinkEndpoint = Readonly<{
  host: string;
  port: number;
  /** host is an IPv4 multicast group (224.0.0.0/4) */
  multicast: boolean;
  /** multicast: the local interface address to join on / send from; null: the system's choice */
  interfaceAddress: string | null;
  /** output: IP TTL (multicast TTL for a group); null: the system default */
  ttl: number | null;
  /** output: datagram payload size, a multiple of 188 */
  packetBytes: number;
}>;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

export function isMulticastIpv4(text: string): boolean {
  if (!IPV4.test(text)) return false;
  const first = Number(text.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** 'srt' or 'udp' for URLs of those schemes (valid or not), else null. */
export function linkSchemeOf(url: string): 'srt' | 'udp' | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  const scheme = m?.[1]?.toLowerCase();
  return scheme === 'srt' || scheme === 'udp' ? scheme : null;
}

type Split = { host: string; port: number; params: Map<string, string> };

function split(url: string, scheme: 'srt' | 'udp', allowed: readonly string[]): Split {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LinkUrlError(`not a valid ${scheme}:// URL`);
  }
  if (parsed.protocol !== `${scheme}:`) throw new LinkUrlError(`not a ${scheme}:// URL`);
  if (parsed.username !== '' || parsed.password !== '') throw new LinkUrlError(`${scheme}:// URLs take no user or password${scheme === 'srt' ? ' (use ?passphrase=)' : ''}`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new LinkUrlError(`${scheme}:// URL needs a host`);
  if (!IPV4.test(host) && !HOST_NAME.test(host)) throw new LinkUrlError(`${scheme}:// host must be an IPv4 address or a host name`);
  if (parsed.port === '') throw new LinkUrlError(`${scheme}:// URL needs a port (${scheme}://HOST:PORT)`);
  const port = Number(parsed.port);
  if (port < 1) throw new LinkUrlError(`${scheme}:// port must be from 1 to 65535`);
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw new LinkUrlError(`${scheme}:// URL takes no path (the stream id goes in ?streamid=)`);
  const params = new Map<string, string>();
  for (const [key, value] of parsed.searchParams) {
    if (!allowed.includes(key)) throw new LinkUrlError(`${scheme}:// URL: unknown parameter '${key.slice(0, 40)}' (allowed: ${allowed.join(', ')})`);
    if (params.has(key)) throw new LinkUrlError(`${scheme}:// URL: parameter '${key}' given twice`);
    params.set(key, value);
  }
  return { host, port, params };
}

function integer(text: string, name: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) throw new LinkUrlError(`${name} must be an integer from ${min} to ${max}`);
  return Number(text);
}

const SRT_KEYS = ['streamid', 'passphrase', 'latency', 'pbkeylen', 'mode'] as const;

/** An srt:// URL Weir calls (connects to). Throws LinkUrlError with a reason fit for a 400. */
export function parseSrtLinkUrl(url: string): SrtLinkEndpoint {
  const { host, port, params } = split(url, 'srt', SRT_KEYS);
  const mode = params.get('mode');
  if (mode !== undefined && mode !== 'caller') throw new LinkUrlError(`srt:// URL: only mode=caller is supported (Weir connects to the listener at HOST:PORT)`);
  const streamId = params.get('streamid') ?? '';
  if (streamId.length > STREAM_ID_MAX) throw new LinkUrlError(`srt:// streamid is longer than ${STREAM_ID_MAX} characters`);
  const passphrase = params.get('passphrase') ?? null;
  if (passphrase !== null && (passphrase.length < PASSPHRASE_LENGTH.min || passphrase.length > PASSPHRASE_LENGTH.max)) {
    throw new LinkUrlError(`srt:// passphrase must have ${PASSPHRASE_LENGTH.min} to ${PASSPHRASE_LENGTH.max} characters`);
  }
  const latency = params.get('latency');
  const latencyMs = latency === undefined ? SRT_DEFAULT_LATENCY_MS : integer(latency, 'srt:// latency (milliseconds)', LATENCY_RANGE_MS.min, LATENCY_RANGE_MS.max);
  const keyLength = params.get('pbkeylen');
  const keyLengthBytes = keyLength === undefined ? 16 : Number(keyLength);
  if (keyLengthBytes !== 16 && keyLengthBytes !== 24 && keyLengthBytes !== 32) throw new LinkUrlError('srt:// pbkeylen must be 16, 24 or 32');
  return { host, port, streamId, passphrase, keyLengthBytes, latencyMs };
}

const UDP_KEYS = ['interface', 'localaddr', 'ttl', 'pkt_size'] as const;

/** A udp:// URL: where to listen (ingest: a local address or a multicast group) or send (output). */
export function parseUdpLinkUrl(url: string): UdpLinkEndpoint {
  const { host, port, params } = split(url, 'udp', UDP_KEYS);
  if (params.has('interface') && params.has('localaddr')) throw new LinkUrlError('udp:// URL: give interface or localaddr, not both');
  const iface = params.get('interface') ?? params.get('localaddr') ?? null;
  if (iface !== null && !IPV4.test(iface)) throw new LinkUrlError('udp:// interface must be an IPv4 address of a local interface');
  const multicast = isMulticastIpv4(host);
  if (iface !== null && !multicast) throw new LinkUrlError('udp:// interface applies to a multicast group (224.0.0.0 to 239.255.255.255) only');
  const ttlText = params.get('ttl');
  const ttl = ttlText === undefined ? null : integer(ttlText, 'udp:// ttl', 1, 255);
  const sizeText = params.get('pkt_size');
  const packetBytes = sizeText === undefined ? UDP_DEFAULT_PACKET_BYTES : integer(sizeText, 'udp:// pkt_size', TS_PACKET_BYTES, UDP_MAX_PACKET_BYTES);
  if (packetBytes % TS_PACKET_BYTES !== 0) throw new LinkUrlError(`udp:// pkt_size must be a multiple of ${TS_PACKET_BYTES} (1316 = 7 TS packets)`);
  return { host, port, multicast, interfaceAddress: iface, ttl, packetBytes };
}

/** Checks either kind; the message says what is wrong. Null for other schemes. */
export function checkLinkUrl(url: string): SrtLinkEndpoint | UdpLinkEndpoint | null {
  const scheme = linkSchemeOf(url);
  if (scheme === 'srt') return parseSrtLinkUrl(url);
  if (scheme === 'udp') return parseUdpLinkUrl(url);
  return null;
}

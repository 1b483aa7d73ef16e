// Peer IP address field of the handshake (draft-sharabayko-srt-01 §3.2.1: 128 bits). libsrt
// stores the address bytes into four host-order words and byte-swaps them on send, so on the
// wire 127.0.0.1 reads 01 00 00 7f (seen in captured ffmpeg/libsrt inductions).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export function decodePeerIp(field: Uint8Array): string {
  const natural = new Uint8Array(16);
  for (let w = 0; w < 16; w += 4) for (let i = 0; i < 4; i++) natural[w + i] = field[w + 3 - i] ?? 0;
  if (natural.subarray(4).every((b) => b === 0)) return Array.from(natural.subarray(0, 4)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((natural[i] ?? 0) << 8) | (natural[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

export function encodePeerIp(ip: string): Uint8Array {
  const natural = parseIp(ip);
  const out = new Uint8Array(16);
  for (let w = 0; w < 16; w += 4) for (let i = 0; i < 4; i++) out[w + i] = natural[w + 3 - i] ?? 0;
  return out;
}

/** IPv4 dotted text (or IPv4-mapped IPv6) gives 4 bytes then zeros; IPv6 text gives 16 bytes. */
function parseIp(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1] : /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ip : undefined;
  if (v4 !== undefined) {
    const parts = v4.split('.').map(Number);
    if (parts.some((n) => n > 255)) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: bad IPv4 ${ip}`);
    out.set(parts, 0);
    return out;
  }
  const halves = ip.split('::');
  if (halves.length > 2) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: bad IPv6 ${ip}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: bad IPv6 ${ip}`);
  const groups = [...head, ...new Array<string>(fill).fill('0'), ...tail];
  groups.forEach((g, i) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: bad IPv6 ${ip}`);
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

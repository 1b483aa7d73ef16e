// Small RTSP header fields (RFC 2326 §12): CSeq §12.17, Session §12.37, RTP-Info §12.33, Range §12.29 (npt, §3.6),
// Public §12.28 (RFC 7826 §18.43), Content-Base §12.11.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { RtspHeaders } from './rtsp-message.ts';
import { headerValue } from './rtsp-message.ts';

function malformed(what: string): never {
  throw new ProtocolError(ProtocolErrorCode.Malformed, `RTSP ${what}`);
}

export function parseCSeq(headers: RtspHeaders): number | undefined {
  const v = headerValue(headers, 'cseq');
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v.trim())) malformed(`CSeq ${JSON.stringify(v)}`);
  return Number(v.trim());
}

export type SessionHeader = Readonly<{ id: string; timeoutSec?: number }>;

/** "12345678;timeout=60" */
export function parseSession(value: string): SessionHeader {
  const [id, ...params] = value.split(';').map((p) => p.trim());
  if (!id || !/^[!-~]{1,256}$/.test(id) || id.includes(';')) malformed(`Session ${JSON.stringify(value)}`);
  let timeoutSec: number | undefined;
  for (const p of params) {
    const m = /^timeout\s*=\s*(\d{1,6})$/i.exec(p);
    if (m) timeoutSec = Number(m[1]);
  }
  return timeoutSec === undefined ? { id } : { id, timeoutSec };
}

export function encodeSession(session: SessionHeader): string {
  return session.timeoutSec === undefined ? session.id : `${session.id};timeout=${session.timeoutSec}`;
}

export type RtpInfoEntry = Readonly<{ url: string; seq?: number; rtptime?: number }>;

/** "url=rtsp://h/s/trackID=0;seq=1;rtptime=2, url=..." (URLs may hold commas, so entries split before "url=") */
export function parseRtpInfo(value: string): RtpInfoEntry[] {
  const out: RtpInfoEntry[] = [];
  for (const entry of value.split(/,\s*(?=url\s*=)/i)) {
    const fields = entry.split(';').map((f) => f.trim());
    let url: string | undefined;
    let seq: number | undefined;
    let rtptime: number | undefined;
    for (const f of fields) {
      const eq = f.indexOf('=');
      if (eq < 0) continue;
      const key = f.slice(0, eq).trim().toLowerCase();
      const v = f.slice(eq + 1).trim();
      if (key === 'url') url = v.replace(/^"|"$/g, '');
      else if (key === 'seq') {
        if (!/^\d{1,5}$/.test(v) || Number(v) > 0xffff) malformed(`RTP-Info seq=${v}`);
        seq = Number(v);
      } else if (key === 'rtptime') {
        if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) malformed(`RTP-Info rtptime=${v}`);
        rtptime = Number(v);
      }
    }
    if (url === undefined) malformed(`RTP-Info entry without url: ${JSON.stringify(entry.slice(0, 80))}`);
    out.push({ url, ...(seq === undefined ? {} : { seq }), ...(rtptime === undefined ? {} : { rtptime }) });
  }
  return out;
}

export function encodeRtpInfo(entries: readonly RtpInfoEntry[]): string {
  return entries
    .map((e) => [`url=${e.url}`, e.seq === undefined ? '' : `seq=${e.seq}`, e.rtptime === undefined ? '' : `rtptime=${e.rtptime}`].filter(Boolean).join(';'))
    .join(',');
}

/** Normal play time range; `startSec` undefined for "now", `endSec` undefined for an open end. */
export type NptRange = Readonly<{ startSec?: number; endSec?: number }>;

function parseNptTime(t: string): number | undefined {
  if (t === 'now' || t === '') return undefined;
  const hms = /^(\d{1,9}):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$/.exec(t);
  if (hms) return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  if (/^\d{1,12}(?:\.\d*)?$/.test(t)) return Number(t);
  return malformed(`Range time ${JSON.stringify(t)}`);
}

/** "npt=0-", "npt=now-", "npt=10.5-20"; other units (smpte, clock) give undefined. */
export function parseRange(value: string): NptRange | undefined {
  const m = /^\s*npt\s*=\s*([^-;]*)-([^;]*)/i.exec(value);
  if (!m) return undefined;
  const startSec = parseNptTime(m[1]!.trim());
  const endSec = parseNptTime(m[2]!.trim());
  return { ...(startSec === undefined ? {} : { startSec }), ...(endSec === undefined ? {} : { endSec }) };
}

export function encodeRange(range: NptRange): string {
  const fmt = (s: number) => String(Math.round(s * 1000) / 1000);
  return `npt=${range.startSec === undefined ? 'now' : fmt(range.startSec)}-${range.endSec === undefined ? '' : fmt(range.endSec)}`;
}

/** "OPTIONS, DESCRIBE, SETUP" -> upper-case method names. */
export function parsePublic(value: string): string[] {
  return value.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m.length > 0);
}

export function encodePublic(methods: readonly string[]): string {
  return methods.join(', ');
}

/** The base URL for relative control URLs (RFC 2326 §C.1.1): Content-Base, then Content-Location, then the request URL. */
export function contentBase(headers: RtspHeaders, requestUrl: string): string {
  return headerValue(headers, 'content-base') ?? headerValue(headers, 'content-location') ?? requestUrl;
}

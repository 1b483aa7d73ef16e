// HTTP authentication header syntax shared by RTSP (RFC 7235 §2.1 challenge/credentials, auth-param with
// token or quoted-string values; RFC 2326 §12.44 and RFC 7826 §19 reuse it).
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';

export type AuthParams = ReadonlyMap<string, string>;

/** Splits `Scheme k=v, k2="v,2"` into the scheme and lower-cased parameter names. */
export function parseAuthHeader(value: string): { scheme: string; params: AuthParams; token68?: string } {
  const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(.*)$/s.exec(value);
  if (!m) throw new ProtocolError(ProtocolErrorCode.Malformed, `auth header ${JSON.stringify(value.slice(0, 80))}`);
  const scheme = m[1]!;
  const rest = m[2]!;
  const params = new Map<string, string>();
  if (/^[A-Za-z0-9._~+/-]+=*\s*$/.test(rest) && !/=[^=]/.test(rest)) return { scheme, params, token68: rest.trim() };
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && (rest[i] === ',' || rest[i] === ' ' || rest[i] === '\t')) i++;
    if (i >= rest.length) break;
    const nameMatch = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*/.exec(rest.slice(i));
    if (!nameMatch) throw new ProtocolError(ProtocolErrorCode.Malformed, `auth param near ${JSON.stringify(rest.slice(i, i + 40))}`);
    i += nameMatch[0].length;
    let val = '';
    if (rest[i] === '"') {
      i++;
      for (;;) {
        if (i >= rest.length) throw new ProtocolError(ProtocolErrorCode.Malformed, 'auth param: unterminated quoted string');
        const c = rest[i]!;
        if (c === '\\' && i + 1 < rest.length) {
          val += rest[i + 1];
          i += 2;
          continue;
        }
        i++;
        if (c === '"') break;
        val += c;
      }
    } else {
      const end = rest.indexOf(',', i);
      val = (end < 0 ? rest.slice(i) : rest.slice(i, end)).trim();
      i = end < 0 ? rest.length : end;
    }
    params.set(nameMatch[1]!.toLowerCase(), val);
  }
  return { scheme, params };
}

export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

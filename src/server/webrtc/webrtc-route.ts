// The HTTP paths of WebRTC signalling and the admission query a WHEP/WHIP request carries: the URL's query,
// plus an `Authorization: Bearer` token that is either a query string (a signed URL's `expires=…&sign=…`) or a
// key (`key=<token>`, the stream key of the app's publish policy or a play hook's key).
export type WhepRoute =
  | Readonly<{ kind: 'endpoint'; protocol: 'whep' | 'whip'; app: string; stream: string }>
  | Readonly<{ kind: 'session'; protocol: 'whep' | 'whip'; app: string; stream: string; id: string }>;

/** /{app}/{stream}/whep|whip and /{app}/{stream}/whep|whip/{id}; null for anything else. */
export function parseWhepRoute(pathname: string): WhepRoute | null {
  const parts = pathname.split('/');
  const protocol = parts[3];
  if (parts[0] !== '' || (protocol !== 'whep' && protocol !== 'whip') || (parts.length !== 4 && parts.length !== 5)) return null;
  let app: string;
  let stream: string;
  try {
    app = decodeURIComponent(parts[1]!);
    stream = decodeURIComponent(parts[2]!);
  } catch {
    return null;
  }
  if (!app || !stream) return null;
  if (parts.length === 4) return { kind: 'endpoint', protocol, app, stream };
  return /^[0-9a-f]{32}$/.test(parts[4]!) ? { kind: 'session', protocol, app, stream, id: parts[4]! } : null;
}

/** The admission query: the URL's, plus the bearer token as a query string or as `key`. */
export function admissionQuery(urlQuery: string, authorization: string | null): string {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!bearer) return urlQuery;
  const fromToken = bearer.includes('=') ? bearer : `key=${encodeURIComponent(bearer)}`;
  return urlQuery ? `${urlQuery}&${fromToken}` : fromToken;
}


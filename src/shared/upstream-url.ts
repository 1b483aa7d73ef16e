// The one allow-list for URLs that Weir fetches over HTTP on someone else's say-so: HLS playlists,
// segments, init sections and keys, HTTP-FLV pull sources, edge origins, admission hooks. Bun's
// fetch() also reads file:, data:, blob: and s3: URLs, so a playlist listing file:///etc/passwd
// would otherwise be "downloaded" from the local disk; only http: and https: with a host pass.
// Pure (no I/O): used by the engine's pull clients and by the control plane's hook caller alike.

export const FETCHABLE_SCHEMES: readonly string[] = ['http:', 'https:'];

/** A URL refused before any request was made; the message says what and why, for logs and relay status. */
export class UpstreamUrlError extends Error {
  override readonly name = 'UpstreamUrlError';
  constructor(
    /** invalid: not a URL at all; refused: a URL, but not one Weir fetches */
    readonly reason: 'invalid' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

/** For messages (they reach logs and the relay status): no query, fragment or userinfo, at most 100 characters. */
function shown(url: string): string {
  const bare = url.replace(/[?#].*$/s, '').replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, '$1');
  return JSON.stringify(bare.length > 100 ? `${bare.slice(0, 100)}…` : bare);
}

/**
 * Checks an absolute URL against the allow-list and returns it parsed; throws UpstreamUrlError
 * for anything that is not http(s) with a host. `what` names the URL in the message ("HLS segment").
 */
export function checkFetchUrl(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UpstreamUrlError('invalid', `${what} URL ${shown(url)} is not a valid URL`);
  }
  if (!FETCHABLE_SCHEMES.includes(parsed.protocol)) {
    throw new UpstreamUrlError('refused', `${what} URL ${shown(url)} refused: scheme ${parsed.protocol} is not allowed (only http: and https:)`);
  }
  if (parsed.hostname === '') throw new UpstreamUrlError('refused', `${what} URL ${shown(url)} refused: no host`);
  return parsed;
}

/**
 * Resolves a reference found in upstream content (a playlist line, a URI="..." attribute) against
 * the URL of the document it came from (RFC 3986 §5), then applies the allow-list to the result:
 * a relative reference inherits the base's scheme, an absolute one must be http(s) itself.
 */
export function resolveFetchUrl(reference: string, baseUrl: string, what: string): string {
  let resolved: URL;
  try {
    resolved = new URL(reference, baseUrl);
  } catch {
    throw new UpstreamUrlError('invalid', `${what} URL ${shown(reference)} is not a valid URL`);
  }
  return checkFetchUrl(resolved.href, what).href;
}

/** True when checkFetchUrl would accept the URL. */
export function isFetchableUrl(url: string): boolean {
  try {
    checkFetchUrl(url, 'URL');
    return true;
  } catch {
    return false;
  }
}

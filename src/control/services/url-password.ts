// The password in a configured URL's userinfo (rtsp://user:password@camera/…) is stored for the engine and never shown
// back, to admins neither: reads get `***` in its place, and a write that sends `***` back for the same user and host
// keeps the stored password, so an edit form can round-trip the URL without ever holding the secret.
// The same holds for an srt:// URL's `passphrase=` query value (the SRT encryption secret).
// Works on the text (not URL.toString()) so the rest of the URL stays exactly as written.

export const HIDDEN_PASSWORD = '***';

const AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s;

type Split = { scheme: string; user: string; password: string | undefined; host: string; rest: string };

function split(url: string): Split | undefined {
  const m = AUTHORITY.exec(url);
  if (!m) return undefined;
  const [, scheme = '', authority = '', rest = ''] = m;
  const at = authority.lastIndexOf('@');
  if (at < 0) return { scheme, user: '', password: undefined, host: authority, rest };
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  return {
    scheme,
    user: colon < 0 ? userinfo : userinfo.slice(0, colon),
    password: colon < 0 ? undefined : userinfo.slice(colon + 1),
    host: authority.slice(at + 1),
    rest,
  };
}

const join = (s: Split, password: string): string => `${s.scheme}${s.user}:${password}@${s.host}${s.rest}`;

/** the query's `passphrase=` value as written (still percent-encoded), and where it sits */
const PASSPHRASE = /([?&]passphrase=)([^&#]*)/;

function passphraseOf(url: string): string | undefined {
  const query = url.replace(/#.*$/s, '').indexOf('?');
  if (query < 0) return undefined;
  return PASSPHRASE.exec(url.slice(query))?.[2];
}

function withPassphrase(url: string, value: string): string {
  const query = url.indexOf('?');
  return url.slice(0, query) + url.slice(query).replace(PASSPHRASE, (_m, key: string) => key + value);
}

/** `url` with a userinfo password and an SRT passphrase replaced by `***` (URLs without either come back unchanged). */
export function hidePassword(url: string): string {
  const phrase = passphraseOf(url);
  const hidden = phrase === undefined || phrase === '' ? url : withPassphrase(url, HIDDEN_PASSWORD);
  const s = split(hidden);
  if (!s || s.password === undefined || s.password === '') return hidden;
  return join(s, HIDDEN_PASSWORD);
}

/**
 * `next` as given, except that a `***` password (or SRT passphrase) for the same scheme, user and host as `stored`
 * becomes the stored one.
 */
export function keepStoredPassword(next: string, stored: string): string {
  const n = split(next);
  const s = split(stored);
  if (!n || !s) return next;
  if (n.scheme.toLowerCase() !== s.scheme.toLowerCase() || n.user !== s.user || n.host.toLowerCase() !== s.host.toLowerCase()) return next;
  let kept = next;
  const storedPhrase = passphraseOf(stored);
  if (passphraseOf(next) === HIDDEN_PASSWORD && storedPhrase !== undefined) kept = withPassphrase(kept, storedPhrase);
  if (n.password !== HIDDEN_PASSWORD || s.password === undefined) return kept;
  return join({ ...n, rest: split(kept)?.rest ?? n.rest }, s.password);
}

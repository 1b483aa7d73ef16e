// Hides the parts of a configured URL that carry secrets, for people who may read the
// configuration but not its credentials (viewer accounts, list views, logs):
//   - userinfo (`user:password@`),
//   - the last path segment of an rtmp:// or rtmps:// URL with app and stream (a stream key:
//     `rtmp://a.rtmp.youtube.com/live2/xxxx-xxxx`),
//   - every query value (`?token=...`), a bare query word, and the fragment.
// Works on the text, not through URL.toString(), so `{app}`/`{stream}` templates and the
// rest of the URL come out exactly as written. Pure: no I/O.

export const REDACTED = '***';

const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/;
const RTMP_SCHEME = /^rtmps?:\/\/$/i;
const PLACEHOLDERS: ReadonlySet<string> = new Set(['{app}', '{stream}']);

function redactAuthority(authority: string): string {
  const at = authority.lastIndexOf('@');
  return at < 0 ? authority : `${REDACTED}@${authority.slice(at + 1)}`;
}

function redactRtmpPath(path: string): string {
  const segments = path.split('/');
  const filled = segments.flatMap((s, i) => (s.length > 0 ? [i] : []));
  // rtmp://host/app keeps its app; with a stream after it, the stream part is the key
  if (filled.length < 2) return path;
  const last = filled[filled.length - 1]!;
  if (PLACEHOLDERS.has(segments[last]!)) return path;
  segments[last] = REDACTED;
  return segments.join('/');
}

function redactQuery(query: string): string {
  if (query === '?') return query;
  const pairs = query
    .slice(1)
    .split('&')
    .map((pair) => {
      if (pair === '') return pair;
      const eq = pair.indexOf('=');
      return eq < 0 ? REDACTED : `${pair.slice(0, eq)}=${REDACTED}`;
    });
  return `?${pairs.join('&')}`;
}

/** `url` with its secrets replaced by `***`; text that is not a URL is hidden whole. */
export function redactSecrets(url: string): string {
  const parts = URL_PARTS.exec(url);
  if (!parts) return REDACTED;
  const [, scheme = '', authority = '', path = '', query, fragment] = parts;
  return (
    scheme +
    redactAuthority(authority) +
    (RTMP_SCHEME.test(scheme) ? redactRtmpPath(path) : path) +
    (query === undefined ? '' : redactQuery(query)) +
    (fragment === undefined ? '' : `#${REDACTED}`)
  );
}

const URL_IN_TEXT = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s'"<>]+/g;

/** free text (an error message) with every URL in it redacted */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    const url = match.replace(/[.,;:)\]]+$/, ''); // sentence punctuation after a URL is not part of it
    return redactSecrets(url) + match.slice(url.length);
  });
}

// What an HLS player does first: GET the playlist URL it was given. Weir answers a URL without a
// playback session id with a one-variant multivariant playlist naming the media playlist with one
// (src/server/http/hls-http.ts); this follows it and returns the media playlist URL the player then polls.
export async function joinHls(entryUrl: string): Promise<string> {
  const res = await fetch(entryUrl);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${entryUrl}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  if (!text.includes('#EXT-X-STREAM-INF')) return entryUrl;
  const uri = text.split('\n').find((line) => line.length > 0 && !line.startsWith('#'));
  if (!uri) throw new Error(`GET ${entryUrl}: a multivariant playlist without a URI`);
  return new URL(uri, entryUrl).href;
}

/** The URL with more query parameters (`&` or `?` as it needs). */
export function withQuery(url: string, query: string): string {
  return url + (url.includes('?') ? '&' : '?') + query;
}

// What an RTSP request URI names on this server: rtsp://host[:port]/{app}/{stream}[?query], where the query carries
// the keys and signed-URL parameters admission reads, as the RTMP URL's does.

export type RtspTarget = Readonly<{ app: string; stream: string; query: string }>;

/** The app, stream and query of a request URI, or a reason it names no stream. */
export function parseRtspTarget(uri: string): RtspTarget | { error: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { error: 'request URI is not a URL' };
  }
  if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') return { error: 'request URI is not rtsp://' };
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  if (segments.length !== 2) return { error: 'request URI path is not /{app}/{stream}' };
  return { app: segments[0]!, stream: segments[1]!, query: url.search.replace(/^\?/, '') };
}

/**
 * Which described track a SETUP URI names: players append the control attribute ("trackID=1", or ffmpeg's
 * "streamid=1" when publishing) to the Content-Base, which may carry a query; the last path segment decides.
 */
export function controlIndex(uri: string, controls: readonly string[]): number {
  const exact = controls.indexOf(uri);
  if (exact >= 0) return exact;
  const last = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  const tail = last(uri);
  return controls.findIndex((c) => last(c) === tail);
}

// Maps an HTTP path to the stream it names: /{app}/{stream}.flv, or /{app}/{stream}/{file} for HLS.
export type MediaRoute =
  | Readonly<{ kind: 'flv'; app: string; stream: string }>
  | Readonly<{ kind: 'hls'; app: string; stream: string; file: string }>;

export function parseMediaRoute(pathname: string): MediaRoute | null {
  const parts = pathname.split('/');
  if (parts[0] !== '' || (parts.length !== 3 && parts.length !== 4)) return null;
  const segments = parts.slice(1).map(safeDecode);
  if (segments.some((s) => !s)) return null;
  const [app, second, third] = segments as [string, string, string | undefined];
  if (third !== undefined) return { kind: 'hls', app, stream: second, file: third };
  if (second.endsWith('.flv') && second.length > 4) return { kind: 'flv', app, stream: second.slice(0, -4) };
  return null;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

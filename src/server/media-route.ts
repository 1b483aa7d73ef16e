// Maps an HTTP path to the stream it names: /{app}/{stream}.flv.
export type MediaRoute = Readonly<{ kind: 'flv'; app: string; stream: string }>;

export function parseMediaRoute(pathname: string): MediaRoute | null {
  const parts = pathname.split('/');
  if (parts.length !== 3 || parts[0] !== '') return null;
  const app = safeDecode(parts[1]!);
  const file = safeDecode(parts[2]!);
  if (!app || !file) return null;
  if (file.endsWith('.flv') && file.length > 4) return { kind: 'flv', app, stream: file.slice(0, -4) };
  return null;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

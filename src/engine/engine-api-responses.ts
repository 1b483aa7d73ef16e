// The engine API's JSON answers, shared by its routes (engine-api.ts, engine-api-recordings.ts).

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body) + '\n', { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
}

export function error(status: number, message: string): Response {
  return json(status, { error: message });
}

/** A path segment decoded, or null when its percent-encoding is broken. */
export function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

// Peer configuration files (bench/peers/*.conf) are templates with @NAME@ placeholders; a run
// fills them with its ports and directory. A placeholder left unfilled would reach the server as
// a literal and fail there with a less clear message (or, worse, listen on a default port).

/** replaces every @NAME@ by vars[NAME]; throws naming any placeholder without a value */
export function fillTemplate(text: string, vars: Readonly<Record<string, string | number>>): string {
  const missing = new Set<string>();
  const out = text.replace(/@([A-Z][A-Z0-9_]*)@/g, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) {
      missing.add(name);
      return whole;
    }
    return String(v);
  });
  if (missing.size > 0) throw new Error(`template placeholders without a value: ${[...missing].map((n) => `@${n}@`).join(', ')}`);
  return out;
}

// Counts what each client address holds (connections, publishes, requests) against a total
// cap and a per-address cap, so one host cannot take every slot from everyone else. Slots are
// handed out as grants whose release is idempotent: an edge releases in every path that ends
// the thing it counted without double-counting the ones that overlap.

export type SlotLimits = Readonly<{
  /** slots over every address together; Infinity: no total cap */
  total: number;
  /** slots one address may hold; 0: no per-address cap (e.g. behind a proxy that all traffic comes from) */
  perAddress: number;
}>;

export type SlotGrant = Readonly<{ ok: true; release: () => void }>;
export type SlotRefusal = Readonly<{ ok: false; limit: 'total' | 'per-address'; key: string; held: number; max: number }>;

export class AddressSlots {
  private readonly held = new Map<string, number>();
  private count = 0;

  /** `limits` is read at every acquire, so a configuration change applies to the next one. */
  constructor(private readonly limits: () => SlotLimits) {}

  get total(): number {
    return this.count;
  }

  /** Slots held by the address (or by its IPv6 /64, see addressKey). */
  heldBy(address: string): number {
    return this.held.get(addressKey(address)) ?? 0;
  }

  /** Distinct address keys holding a slot now (the map never outgrows what is held). */
  get addresses(): number {
    return this.held.size;
  }

  acquire(address: string): SlotGrant | SlotRefusal {
    const { total, perAddress } = this.limits();
    const key = addressKey(address);
    const mine = this.held.get(key) ?? 0;
    // the address's own cap first: when both are reached, that is the refusal that tells it why
    if (perAddress > 0 && mine >= perAddress) return { ok: false, limit: 'per-address', key, held: mine, max: perAddress };
    if (this.count >= total) return { ok: false, limit: 'total', key, held: this.count, max: total };
    this.held.set(key, mine + 1);
    this.count++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.count--;
        const left = (this.held.get(key) ?? 1) - 1;
        if (left <= 0) this.held.delete(key);
        else this.held.set(key, left);
      },
    };
  }
}

/**
 * The key an address is counted under: IPv4 as is (also when written IPv4-mapped, ::ffff:a.b.c.d,
 * as dual-stack listeners report it), IPv6 by its /64, because one host is routinely given a
 * whole /64 and could otherwise take a fresh address for every connection.
 */
export function addressKey(address: string): string {
  const plain = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zoneless = plain.split('%')[0]!.toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(zoneless);
  if (mapped) return mapped[1]!;
  if (!zoneless.includes(':')) return zoneless;
  const groups = expandIpv6(zoneless);
  if (!groups) return zoneless;
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (no leading zeros), or null if it is not one. */
function expandIpv6(address: string): string[] | null {
  let text = address;
  // a trailing dotted quad (::1.2.3.4) is two groups
  const quad = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, quad.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

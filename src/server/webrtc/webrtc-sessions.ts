// The WebRTC sessions of the one UDP port: found by their resource id (the WHEP Location), by our ICE ufrag (the
// first half of a connectivity check's USERNAME) and, once a check has succeeded from it, by the 5-tuple their DTLS
// and SRTP arrive from. A session not heard from for the ICE timeout (no check, no DTLS, no RTCP: RFC 7675 consent
// expired, or a client that left without DELETE) is swept. The clock is injected so the sweep is testable.

export interface WebRtcSessionEntry {
  readonly id: string;
  readonly localUfrag: string;
  /** the client address that created it (the per-address cap counts these) */
  readonly clientAddress: string;
  /** ends the session (leaves outputs, unregisters the client); called once by the table */
  close(reason: string): void;
}

type Slot<T> = { entry: T; lastHeardMs: number; tuples: Set<string> };

export const tupleKey = (address: string, port: number): string => `${address}|${port}`;

export class WebRtcSessionTable<T extends WebRtcSessionEntry = WebRtcSessionEntry> {
  private readonly byId = new Map<string, Slot<T>>();
  private readonly byUfrag = new Map<string, Slot<T>>();
  private readonly byTuple = new Map<string, Slot<T>>();

  constructor(
    private readonly now: () => number,
    private readonly timeoutMs: () => number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  countFrom(address: string): number {
    let n = 0;
    for (const slot of this.byId.values()) if (slot.entry.clientAddress === address) n++;
    return n;
  }

  add(entry: T): void {
    const slot: Slot<T> = { entry, lastHeardMs: this.now(), tuples: new Set() };
    this.byId.set(entry.id, slot);
    this.byUfrag.set(entry.localUfrag, slot);
  }

  byResourceId(id: string): T | undefined {
    return this.byId.get(id)?.entry;
  }

  byLocalUfrag(ufrag: string): T | undefined {
    return this.byUfrag.get(ufrag)?.entry;
  }

  byAddress(address: string, port: number): T | undefined {
    return this.byTuple.get(tupleKey(address, port))?.entry;
  }

  /** A check from this 5-tuple passed: DTLS and SRTP from it belong to the session (a tuple has one owner, the latest). */
  bindTuple(entry: T, address: string, port: number): void {
    const slot = this.byId.get(entry.id);
    if (!slot || slot.entry !== entry) return;
    const key = tupleKey(address, port);
    const previous = this.byTuple.get(key);
    if (previous && previous !== slot) previous.tuples.delete(key);
    this.byTuple.set(key, slot);
    slot.tuples.add(key);
  }

  heard(entry: T): void {
    const slot = this.byId.get(entry.id);
    if (slot && slot.entry === entry) slot.lastHeardMs = this.now();
  }

  /** Removes and closes one session; false when it was not (or no longer) in the table. */
  remove(entry: T, reason: string): boolean {
    const slot = this.byId.get(entry.id);
    if (!slot || slot.entry !== entry) return false;
    this.byId.delete(entry.id);
    if (this.byUfrag.get(entry.localUfrag) === slot) this.byUfrag.delete(entry.localUfrag);
    for (const key of slot.tuples) if (this.byTuple.get(key) === slot) this.byTuple.delete(key);
    entry.close(reason);
    return true;
  }

  /** Closes every session silent for longer than the ICE timeout; returns how many. */
  sweep(): number {
    const deadline = this.now() - this.timeoutMs();
    const expired = [...this.byId.values()].filter((s) => s.lastHeardMs < deadline);
    for (const slot of expired) this.remove(slot.entry, 'ICE timeout: nothing heard from the client');
    return expired.length;
  }

  closeAll(reason: string): void {
    for (const slot of [...this.byId.values()]) this.remove(slot.entry, reason);
  }
}

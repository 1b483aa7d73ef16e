// Every connected client of the engine, whatever its edge: RTMP connections (publishers,
// players, and connections that have done neither yet), HTTP-FLV and WebSocket-FLV viewers.
// The edges register and unregister; the engine API lists and kicks through it. HLS requests
// are not clients (a player polls statelessly): they are counted per stream elsewhere.
import type { ClientState, LinkStats } from '../shared/config-protocol.ts';

export type ClientProtocol = 'rtmp' | 'rtsp' | 'http-flv' | 'ws-flv' | 'srt' | 'webrtc';

export interface ClientEntry {
  readonly id: string;
  readonly protocol: ClientProtocol;
  readonly address: string;
  readonly connectedAtMs: number;
  role(): ClientState['role'];
  app(): string | null;
  stream(): string | null;
  bytesIn(): number;
  bytesOut(): number;
  /** ends the connection now */
  kick(reason: string): void;
  /** the transport's link figures (SRT); absent for TCP protocols */
  link?(): LinkStats;
}

export class ClientRegistry {
  private readonly clients = new Map<string, ClientEntry>();

  get size(): number {
    return this.clients.size;
  }

  register(entry: ClientEntry): void {
    this.clients.set(entry.id, entry);
  }

  unregister(entry: ClientEntry): void {
    if (this.clients.get(entry.id) === entry) this.clients.delete(entry.id);
  }

  get(id: string): ClientEntry | undefined {
    return this.clients.get(id);
  }

  entries(): IterableIterator<ClientEntry> {
    return this.clients.values();
  }

  /** Kicks one client; false when there is no such client. */
  kick(id: string, reason: string): boolean {
    const entry = this.clients.get(id);
    if (!entry) return false;
    entry.kick(reason);
    return true;
  }

  /** Kicks every client of an app (publishers, viewers, idle RTMP connections); returns how many. */
  kickApp(app: string, reason: string): number {
    const doomed = [...this.clients.values()].filter((c) => c.app() === app);
    for (const client of doomed) client.kick(reason);
    return doomed.length;
  }

  list(): ClientState[] {
    return [...this.clients.values()].map(describeClient);
  }
}

export function describeClient(entry: ClientEntry): ClientState {
  return {
    id: entry.id,
    role: entry.role(),
    protocol: entry.protocol,
    address: entry.address,
    app: entry.app(),
    stream: entry.stream(),
    connectedAtMs: entry.connectedAtMs,
    bytesIn: entry.bytesIn(),
    bytesOut: entry.bytesOut(),
    ...(entry.link ? { link: entry.link() } : {}),
  };
}

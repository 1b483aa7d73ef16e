// What the engine API reports about each relay (GET /v1/relays): pulls, forwards, edge pulls.
import type { LinkStats, RelayStatus } from '../shared/config-protocol.ts';

export type { RelayStatus };
export type RelayKind = RelayStatus['kind'];
export type RelayState = RelayStatus['state'];

/** The mutable record behind a RelayStatus. */
export class RelayStatusRecord {
  state: RelayState = 'connecting';
  lastError: string | null = null;
  liveSinceMs = 0;
  nextRetryAtMs = 0;
  retries = 0;
  bytesIn = 0;
  bytesOut = 0;
  droppedMessages = 0;
  /** where the link figures come from (SRT relays), read at each snapshot */
  link: (() => LinkStats | null) | null = null;

  constructor(
    readonly id: string,
    readonly kind: RelayKind,
    readonly app: string,
    readonly stream: string,
    readonly url: string,
  ) {}

  /** A try failed with `reason`; the next one starts in `delayMs`. */
  retrying(reason: string, delayMs: number): void {
    this.state = 'retrying';
    this.lastError = reason;
    this.retries++;
    this.nextRetryAtMs = Date.now() + delayMs;
  }

  snapshot(): RelayStatus {
    const status: RelayStatus = {
      id: this.id,
      kind: this.kind,
      app: this.app,
      stream: this.stream,
      url: this.url,
      state: this.state,
      lastError: this.lastError,
      liveSinceMs: this.liveSinceMs,
      nextRetryAtMs: this.nextRetryAtMs,
      retries: this.retries,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      droppedMessages: this.droppedMessages,
    };
    const link = this.link?.() ?? null;
    return link === null ? status : { ...status, link };
  }
}

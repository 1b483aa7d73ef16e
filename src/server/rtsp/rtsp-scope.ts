// What the play and record halves of an RTSP connection share with it: who the peer is, the session, its writer
// and UDP ports, and the vocabulary of answers (a Reply, or an RtspRefusal with a 4xx/5xx status).
import type { Logger } from '../../shared/logger.ts';
import type { ConnectionWriter } from '../connection-writer.ts';
import type { EngineContext } from '../engine-context.ts';
import type { DigestNonces } from './rtsp-credentials.ts';
import type { UdpHandler, UdpPair } from './rtsp-udp-ports.ts';
import { parseRtspTarget, type RtspTarget } from './rtsp-url.ts';
import { RtspRefusal } from './rtsp-refusal.ts';

export { RtspRefusal };

/** An error answer: the status, and a reason for the log and the client. */
/** `afterSent`: runs once the answer is queued (PLAY: media must follow its 200) */
export type Reply = { status?: number; headers?: Array<[string, string]>; body?: Uint8Array; afterSent?: () => void };

export interface RtspScope {
  readonly id: string;
  readonly remoteAddress: string;
  readonly ctx: EngineContext;
  readonly log: Logger;
  readonly writer: ConnectionWriter;
  /** Digest nonces of this RTSP server (rtsp-credentials.ts) */
  readonly nonces: DigestNonces;
  isClosed(): boolean;
  /** "id;timeout=N" of the session, created on first use */
  sessionHeader(): string;
  /** a UDP port pair; RTCP from the peer keeps the session alive (and goes to `onRtcp` when given) */
  allocateUdp(onRtp: UdpHandler, onRtcp?: UdpHandler): Promise<UdpPair>;
  /** the peer was heard from (RTP of a publisher over UDP: `bytes` count as received) */
  heard(bytes?: number): void;
  /** it played or recorded: the setup deadline no longer applies */
  started(): void;
  kick(reason: string): void;
  /** the stream ended for a viewer: end the connection after what is queued */
  endGracefully(): void;
}

export function targetOf(uri: string): RtspTarget {
  const t = parseRtspTarget(uri);
  if ('error' in t) throw new RtspRefusal(404, t.error);
  return t;
}

export function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** IPv4 peers may be reported IPv4-mapped by a dual-stack socket and plain by another. */
export function sameHost(a: string, b: string): boolean {
  const plain = (s: string) => s.replace(/^::ffff:/i, '');
  return plain(a) === plain(b);
}

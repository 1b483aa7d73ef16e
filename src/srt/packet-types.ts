// Typed SRT packets (draft-sharabayko-srt-01 §3.1 data packets, §3.2 control packets).
import type { DataKeyFlag, PacketPosition } from './constants.ts';

/** Fields every SRT packet carries after its first 8 bytes (§3). */
export type SrtHeader = { timestampUs: number; destSocketId: number };

export type SrtDataPacket = SrtHeader & {
  type: 'data';
  seq: number;
  position: PacketPosition;
  inOrder: boolean;
  keyFlag: DataKeyFlag;
  retransmitted: boolean;
  messageNumber: number;
  payload: Uint8Array;
};

/** One handshake extension (§3.2.1.1..§3.2.1.4); unknown ones are kept as raw words. */
export type HandshakeExtension =
  | { type: 'hsreq' | 'hsrsp'; srtVersion: number; flags: number; recvLatencyMs: number; sendLatencyMs: number }
  | { type: 'kmreq' | 'kmrsp'; body: Uint8Array }
  | { type: 'sid'; streamId: string }
  | { type: 'congestion'; name: string }
  | { type: 'other'; code: number; body: Uint8Array };

export type HandshakeCif = {
  version: number;
  encryptionField: number;
  extensionField: number;
  initialSeq: number;
  mtu: number;
  flowWindow: number;
  handshakeType: number;
  socketId: number;
  synCookie: number;
  /** Dotted IPv4 or full IPv6 text; the wire stores it word-swapped (see handshake-packet.ts). */
  peerIp: string;
  extensions: HandshakeExtension[];
};

export type AckCif = {
  /** Next sequence number the receiver expects: everything before it arrived or was dropped. */
  lastAckSeq: number;
  rttUs?: number;
  rttVarUs?: number;
  availableBufferPackets?: number;
  packetsPerSecond?: number;
  linkCapacityPps?: number;
  receiveRateBps?: number;
};

export type AckVariant = 'full' | 'light' | 'small';
/** An inclusive range of lost sequence numbers (from === to for a single loss). */
export type LossRange = { from: number; to: number };

export type SrtControlPacket = SrtHeader &
  (
    | { type: 'handshake'; handshake: HandshakeCif }
    | { type: 'keepalive' }
    | { type: 'ack'; ackNumber: number; variant: AckVariant; ack: AckCif }
    | { type: 'nak'; losses: LossRange[] }
    | { type: 'congestion-warning' }
    | { type: 'shutdown' }
    | { type: 'ackack'; ackNumber: number }
    | { type: 'dropreq'; messageNumber: number; firstSeq: number; lastSeq: number }
    | { type: 'peer-error'; errorCode: number }
    | { type: 'user'; subtype: number; body: Uint8Array }
  );

export type SrtPacket = SrtDataPacket | SrtControlPacket;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A control packet before its header fields are filled in. */
export type SrtControlBody = DistributiveOmit<SrtControlPacket, 'timestampUs' | 'destSocketId'>;

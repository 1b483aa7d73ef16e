// Public surface of the pure SRT protocol code (draft-sharabayko-srt-01): what a UDP transport
// in src/server and the hub adapters use. Everything here is synchronous and clock-free.
export { decodePacket, encodePacket, isControlPacket, MAX_SRT_PACKET_BYTES } from './packet.ts';
export type { AckCif, HandshakeCif, HandshakeExtension, LossRange, SrtControlPacket, SrtDataPacket, SrtPacket } from './packet-types.ts';
export { ControlType, DataKeyFlag, ExtType, HandshakeType, KmState, PacketPosition, RejectReason, SrtFlag } from './constants.ts';
export { seqAdd, seqCmp, seqDec, seqDiff, seqInc, seqLt, seqLte } from './seq.ts';
export { SrtCallerHandshake, type CallerOptions, type CallerResult } from './handshake-caller.ts';
export { SrtListenerHandshake, type AcceptResult, type ConclusionRequest, type ListenerOptions, type ListenerResult, type PeerAddress } from './handshake-listener.ts';
export type { SrtNegotiated } from './handshake-common.ts';
export { isValidSynCookie, synCookie } from './syn-cookie.ts';
export { formatStreamId, parseStreamId, type ParsedStreamId, type StreamIdMode } from './stream-id.ts';
export { SrtConnection, type CloseReason, type ConnectionOptions, type ConnectionOutput, type ConnectionStats } from './connection.ts';
export { SrtReceiver, type DeliveredPacket, type ReceiverOptions, type ReceiverStats } from './receiver.ts';
export { SrtSender, type SenderOptions, type SenderStats } from './sender.ts';
export { decryptPayload, openKeys, sealKeys, type SrtKeys } from './key-material.ts';
export { SrtSenderKeys } from './sender-keys.ts';
export { checkPassphrase, MAX_PASSPHRASE_LENGTH, MIN_PASSPHRASE_LENGTH } from './key-derivation.ts';

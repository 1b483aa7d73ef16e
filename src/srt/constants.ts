// SRT wire numbers (draft-sharabayko-srt-01 §3 packet structure, §3.2 control types,
// §3.2.1 handshake, §3.2.1.1 extensions, §3.2.2 key material, §4.3 handshake types).
export const SRT_HEADER_BYTES = 16;
export const SEQ_MASK = 0x7fff_ffff;
export const MSGNO_MASK = 0x03ff_ffff;

export const ControlType = {
  Handshake: 0x0000,
  Keepalive: 0x0001,
  Ack: 0x0002,
  Nak: 0x0003,
  CongestionWarning: 0x0004,
  Shutdown: 0x0005,
  AckAck: 0x0006,
  DropReq: 0x0007,
  PeerError: 0x0008,
  UserDefined: 0x7fff,
} as const;
export type ControlType = (typeof ControlType)[keyof typeof ControlType];

/** §3.1 PP field: where this packet sits in its message. Live mode sends Solo. */
export const PacketPosition = { Middle: 0, Last: 1, First: 2, Solo: 3 } as const;
export type PacketPosition = (typeof PacketPosition)[keyof typeof PacketPosition];

/** §3.1 KK field of a data packet: which stream encrypting key encrypted the payload. */
export const DataKeyFlag = { None: 0, Even: 1, Odd: 2 } as const;
export type DataKeyFlag = (typeof DataKeyFlag)[keyof typeof DataKeyFlag];

/** §3.2.1 handshake type field (uint32 on the wire). Values >= 1000 are rejections. */
export const HandshakeType = {
  Done: 0xffff_fffd,
  Agreement: 0xffff_fffe,
  Conclusion: 0xffff_ffff,
  WaveAHand: 0x0000_0000,
  Induction: 0x0000_0001,
} as const;
export const REJECTION_BASE = 1000;

/** §3.2.1 rejection reasons (handshake type = 1000 + reason). */
export const RejectReason = {
  Unknown: 0,
  System: 1,
  Peer: 2,
  Resource: 3,
  Rogue: 4,
  Backlog: 5,
  Ipe: 6,
  Close: 7,
  Version: 8,
  RdvCookie: 9,
  BadSecret: 10,
  Unsecure: 11,
  MessageApi: 12,
  Congestion: 13,
  Filter: 14,
  Group: 15,
  Timeout: 16,
  Crypto: 17,
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];
/** Application rejection codes live at 2000+ (SRT_REJC_USERDEFINED); 1000+HTTP status are predefined ones. */
export const REJECT_PREDEFINED_BASE = 1000;

/** §3.2.1 HSv5 magic in the extension field of the listener's induction response. */
export const SRT_MAGIC_CODE = 0x4a17;
/** HSv4 socket type UDT_DGRAM, sent in the caller's induction extension field. */
export const UDT_DGRAM = 2;

/** §3.2.1 extension field flags of a conclusion handshake. */
export const HsExtFlag = { HsReq: 0x1, KmReq: 0x2, Config: 0x4 } as const;

/** §3.2.1.1 extension types (SRT_CMD_*). */
export const ExtType = {
  HsReq: 1,
  HsRsp: 2,
  KmReq: 3,
  KmRsp: 4,
  Sid: 5,
  Congestion: 6,
  Filter: 7,
  Group: 8,
} as const;

/** §3.2.1.1.1 SRT flags in HSREQ/HSRSP. */
export const SrtFlag = {
  TsbpdSnd: 0x01,
  TsbpdRcv: 0x02,
  Crypt: 0x04,
  TlPktDrop: 0x08,
  PeriodicNak: 0x10,
  RexmitFlg: 0x20,
  Stream: 0x40,
  PacketFilter: 0x80,
} as const;

/** §3.2.1 encryption field: advertised AES key size. */
export const EncryptionField = { None: 0, Aes128: 2, Aes192: 3, Aes256: 4 } as const;

/** SRT version we advertise in HSREQ/HSRSP (1.5.0 encoded 0x00MMmmpp). */
export const OUR_SRT_VERSION = 0x0001_0500;
/** HSv5 needs a peer of at least SRT 1.3.0. */
export const MIN_PEER_SRT_VERSION = 0x0001_0300;

/** §3.2.2 KM states sent alone in a KMRSP when the key exchange failed. */
export const KmState = { Unsecured: 0, Securing: 1, Secured: 2, NoSecret: 3, BadSecret: 4 } as const;
export type KmState = (typeof KmState)[keyof typeof KmState];

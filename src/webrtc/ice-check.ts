// The controlling side of an ICE connectivity check (RFC 8445 §7.2.2, §7.3.1.1; RFC 8489 §14): what a full ICE agent
// talking to an ICE-lite server sends (a Binding request from the offerer, nominating at once with USE-CANDIDATE,
// as "aggressive" nomination did and RFC 8445 §8.1.1 allows a lite peer to expect), and the check of its answer.
// RFC 7675 consent freshness repeats the same request every few seconds on the selected pair.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import {
  StunAttr, StunClass, StunMethod, checkFingerprint, checkIntegrity, decodeXorMappedAddress, encodeStunMessage, stunAttribute,
  type StunMessage, type TransportAddress,
} from './stun.ts';

const utf8 = new TextEncoder();

export type ControllingCheckInit = Readonly<{
  /** the lite server's ufrag and password, from its answer */
  remoteUfrag: string;
  remotePwd: string;
  /** ours, from our offer */
  localUfrag: string;
  /** 12 random bytes */
  transactionId: Uint8Array;
  /** 8 random bytes for ICE-CONTROLLING (role conflict resolution, §7.3.1.1) */
  tieBreaker: Uint8Array;
  /** our candidate's priority as §5.1.2 computes it for a peer-reflexive one from this base */
  priority: number;
  useCandidate: boolean;
}>;

/** A signed Binding request: USERNAME "remote:local", PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT. */
export function controllingBindingRequest(init: ControllingCheckInit): Uint8Array {
  if (init.tieBreaker.length !== 8) throw new RangeError('ICE: tie-breaker must be 8 bytes');
  const priority = new Uint8Array(4);
  new DataView(priority.buffer).setUint32(0, init.priority >>> 0);
  return encodeStunMessage({
    cls: StunClass.Request,
    method: StunMethod.Binding,
    transactionId: init.transactionId,
    attributes: [
      { type: StunAttr.Username, value: utf8.encode(`${init.remoteUfrag}:${init.localUfrag}`) },
      { type: StunAttr.Priority, value: priority },
      { type: StunAttr.IceControlling, value: init.tieBreaker },
      ...(init.useCandidate ? [{ type: StunAttr.UseCandidate, value: new Uint8Array(0) }] : []),
    ],
    integrityKey: utf8.encode(init.remotePwd),
    fingerprint: true,
  });
}

/**
 * The address the server saw us at, from its success response to our request `transactionId`; a ProtocolError for an
 * error response, another transaction's answer, or one not signed with the server's password.
 */
export function checkBindingSuccess(message: StunMessage, remotePwd: string, transactionId: Uint8Array): TransportAddress {
  if (message.method !== StunMethod.Binding) throw new ProtocolError(ProtocolErrorCode.Unsupported, 'STUN: not a Binding response');
  if (!sameBytes(message.transactionId, transactionId)) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: answer to another transaction');
  if (message.cls === StunClass.Error) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: the server answered with an error');
  if (message.cls !== StunClass.Success) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: not a response');
  if (!checkFingerprint(message)) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: missing or bad FINGERPRINT');
  if (!checkIntegrity(message, utf8.encode(remotePwd))) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: missing or bad MESSAGE-INTEGRITY');
  const mapped = stunAttribute(message, StunAttr.XorMappedAddress);
  if (!mapped) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: no XOR-MAPPED-ADDRESS');
  return decodeXorMappedAddress(mapped, message.transactionId);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

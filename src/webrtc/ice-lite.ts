// The ICE-lite side of connectivity checks (RFC 8445 §2.5, §7.3): a Binding request whose USERNAME starts with our
// ufrag, signed with our password (short-term credentials, §7.2.2), is answered with a signed success response
// carrying the source as XOR-MAPPED-ADDRESS. A lite agent is always controlled and never sends checks of its own.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import {
  StunAttr, StunClass, StunMethod, checkFingerprint, checkIntegrity, encodeStunMessage, encodeXorMappedAddress, stunAttribute,
  type StunMessage, type TransportAddress,
} from './stun.ts';

const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { fatal: false });

/** "ourUfrag:theirUfrag" split; null for a message without a usable USERNAME. */
export function bindingUsername(message: StunMessage): { local: string; remote: string } | null {
  const value = stunAttribute(message, StunAttr.Username);
  if (!value) return null;
  const username = text.decode(value);
  const colon = username.indexOf(':');
  if (colon <= 0 || colon === username.length - 1) return null;
  return { local: username.slice(0, colon), remote: username.slice(colon + 1) };
}

export type BindingAnswer = Readonly<{ response: Uint8Array; useCandidate: boolean }>;

/**
 * The success response to a connectivity check for a session with these credentials, or a ProtocolError
 * (an unsigned or wrongly signed request is never answered: it may be an attempt to map our port).
 */
export function answerBinding(
  message: StunMessage,
  credentials: Readonly<{ localUfrag: string; localPwd: string; remoteUfrag: string }>,
  source: TransportAddress,
): BindingAnswer {
  if (message.cls !== StunClass.Request || message.method !== StunMethod.Binding) {
    throw new ProtocolError(ProtocolErrorCode.Unsupported, 'STUN: not a Binding request');
  }
  const username = bindingUsername(message);
  if (!username || username.local !== credentials.localUfrag || username.remote !== credentials.remoteUfrag) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: USERNAME is not this session’s');
  }
  if (message.fingerprintAt !== undefined && !checkFingerprint(message)) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: bad FINGERPRINT');
  if (!checkIntegrity(message, utf8.encode(credentials.localPwd))) throw new ProtocolError(ProtocolErrorCode.Malformed, 'STUN: bad MESSAGE-INTEGRITY');
  const response = encodeStunMessage({
    cls: StunClass.Success,
    method: StunMethod.Binding,
    transactionId: message.transactionId,
    attributes: [{ type: StunAttr.XorMappedAddress, value: encodeXorMappedAddress(source, message.transactionId) }],
    integrityKey: utf8.encode(credentials.localPwd),
    fingerprint: true,
  });
  return { response, useCandidate: stunAttribute(message, StunAttr.UseCandidate) !== undefined };
}

/** RFC 8839 §5.4 ice-chars from random bytes: ufrag and password of a new session. */
export function iceCredential(random: Uint8Array): string {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (const b of random) out += ALPHABET[b & 63];
  return out;
}

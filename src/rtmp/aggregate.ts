// Splits an Aggregate message (type 22) into its FLV-tag-framed sub-messages with rebased timestamps (Adobe RTMP 1.0 §7.1.6).
import { readFlvTimestamp, readUint24BE } from '../media/bytes.ts';
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import type { RtmpMessage } from './message-types.ts';

/** type(1) size(3) timestamp(3) timestamp-extended(1) stream id(3) */
const SUB_HEADER_BYTES = 11;
const BACK_POINTER_BYTES = 4;

/**
 * Sub-message timestamps are rebased so the first one equals the aggregate's timestamp.
 * Payloads are copies (they outlive the aggregate in GOP caches). A missing last back pointer is tolerated.
 */
export function splitAggregate(message: RtmpMessage): RtmpMessage[] {
  const body = message.payload;
  const out: RtmpMessage[] = [];
  let firstTimestamp = 0;
  let p = 0;
  while (p < body.length) {
    if (body.length - p < SUB_HEADER_BYTES) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `aggregate sub-message header truncated at byte ${p}`);
    }
    const typeId = body[p]!;
    const size = readUint24BE(body, p + 1);
    const timestamp = readFlvTimestamp(body, p + 4);
    p += SUB_HEADER_BYTES;
    if (body.length - p < size) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `aggregate sub-message of ${size} bytes truncated`);
    }
    if (out.length === 0) firstTimestamp = timestamp;
    out.push({
      chunkStreamId: message.chunkStreamId,
      typeId,
      timestamp: (message.timestamp + timestamp - firstTimestamp) >>> 0,
      messageStreamId: message.messageStreamId,
      payload: body.slice(p, p + size),
    });
    p += size;
    p = Math.min(body.length, p + BACK_POINTER_BYTES);
  }
  return out;
}

// NAK loss list compression (draft-sharabayko-srt-01 §3.2.5 and appendix A): a single lost
// number is one word with bit 31 clear; a range is two words, the first with bit 31 set.
import { ProtocolError, ProtocolErrorCode } from '../shared/protocol-error.ts';
import { SEQ_MASK } from './constants.ts';
import type { LossRange } from './packet-types.ts';
import { seqDiff } from './seq.ts';

const RANGE_BIT = 0x8000_0000;

export function decodeLossList(cif: Uint8Array): LossRange[] {
  if (cif.length % 4 !== 0) throw new ProtocolError(ProtocolErrorCode.Malformed, `srt: NAK body of ${cif.length} bytes is not whole words`);
  const view = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  const out: LossRange[] = [];
  for (let i = 0; i < cif.length; i += 4) {
    const word = view.getUint32(i);
    if (word & RANGE_BIT) {
      if (i + 4 >= cif.length) throw new ProtocolError(ProtocolErrorCode.Truncated, 'srt: NAK range without its end');
      const end = view.getUint32(i + 4);
      if (end & RANGE_BIT) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: NAK range end has the range bit');
      const from = word & SEQ_MASK;
      if (seqDiff(from, end) < 0) throw new ProtocolError(ProtocolErrorCode.Malformed, 'srt: NAK range ends before it starts');
      out.push({ from, to: end });
      i += 4;
    } else {
      out.push({ from: word, to: word });
    }
  }
  return out;
}

export function encodeLossList(losses: readonly LossRange[]): Uint8Array {
  let words = 0;
  for (const r of losses) words += r.from === r.to ? 1 : 2;
  const out = new Uint8Array(words * 4);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of losses) {
    if (r.from === r.to) {
      view.setUint32(at, r.from & SEQ_MASK);
      at += 4;
    } else {
      view.setUint32(at, ((r.from & SEQ_MASK) | RANGE_BIT) >>> 0);
      view.setUint32(at + 4, r.to & SEQ_MASK);
      at += 8;
    }
  }
  return out;
}

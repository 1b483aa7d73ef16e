// Where a serializer puts its output. The default allocates; a shared output passes its arena,
// so the packets of a flush window lie one after another in one buffer (outputs/byte-arena.ts).

/** `size` bytes for the caller to fill completely: not necessarily zeroed. */
export type ByteAllocator = (size: number) => Uint8Array;

export const newBytes: ByteAllocator = (size) => new Uint8Array(size);

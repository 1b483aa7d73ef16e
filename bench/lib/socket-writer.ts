// Write side of a load-test socket: keeps what the kernel did not take and sends it on drain.
import type { Socket } from 'bun';

export class SocketWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  bytesWritten = 0;

  constructor(private readonly socket: Socket<unknown>) {}

  get queuedBytes(): number {
    return this.pendingBytes;
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.pending.length > 0) {
      this.pending.push(bytes);
      this.pendingBytes += bytes.length;
      return;
    }
    const n = this.socket.write(bytes);
    const written = n < 0 ? 0 : n;
    this.bytesWritten += written;
    if (written < bytes.length) {
      this.pending.push(bytes.subarray(written));
      this.pendingBytes += bytes.length - written;
    }
  }

  writeAll(chunks: readonly Uint8Array[]): void {
    if (chunks.length === 0) return;
    if (chunks.length === 1) {
      this.write(chunks[0]!);
      return;
    }
    let total = 0;
    for (const c of chunks) total += c.length;
    const joined = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      joined.set(c, o);
      o += c.length;
    }
    this.write(joined);
  }

  /** call from the socket's drain handler */
  drain(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const n = this.socket.write(head);
      const written = n < 0 ? 0 : n;
      this.bytesWritten += written;
      this.pendingBytes -= written;
      if (written < head.length) {
        this.pending[0] = head.subarray(written);
        return;
      }
      this.pending.shift();
    }
  }
}

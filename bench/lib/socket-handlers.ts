// Bun socket handlers that hand every event to the object in socket.data: one table for the
// load-test viewers (viewers.ts) and the HLS keep-alive client (hls-http-client.ts).
import type { Socket } from 'bun';

export interface SocketOwner<T> {
  onOpen(socket: Socket<T>): void;
  onData(bytes: Uint8Array): void;
  onDrain(): void;
  onClose(socket: Socket<T>): void;
  /** an error on an open connection (Bun closes it after) */
  onSocketError(socket: Socket<T>, error: Error): void;
  onConnectError(error: Error): void;
}

export function delegatingHandlers<T extends SocketOwner<T>>() {
  return {
    binaryType: 'uint8array' as const,
    open(socket: Socket<T>) {
      socket.data.onOpen(socket);
    },
    data(socket: Socket<T>, data: Uint8Array) {
      socket.data.onData(data);
    },
    drain(socket: Socket<T>) {
      socket.data.onDrain();
    },
    close(socket: Socket<T>) {
      socket.data.onClose(socket);
    },
    error(socket: Socket<T>, error: Error) {
      socket.data.onSocketError(socket, error);
    },
    connectError(socket: Socket<T>, error: Error) {
      socket.data.onConnectError(error);
    },
  };
}

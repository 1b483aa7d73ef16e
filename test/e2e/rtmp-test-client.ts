// Our own RTMP client (the pure ClientSession) on a real socket, for tests that need to send
// exactly chosen tags (codec pass-through) or publish faster than real time.
import type { Socket } from 'bun';
import { ClientSession, type ClientRole, type ClientSessionEvent } from '../../src/rtmp/client-session.ts';

export type TestRtmpClient = {
  session: ClientSession;
  events: ClientSessionEvent[];
  /** resolves with the first event matching the predicate (already seen ones included) */
  next(predicate: (e: ClientSessionEvent) => boolean, timeoutMs?: number): Promise<ClientSessionEvent>;
  flush(): void;
  /** bytes written to the session but not yet taken by the socket (a flooding publisher waits on it) */
  backlogBytes(): number;
  /** writes bytes on the socket as they are, bypassing the session (for hostile-input tests) */
  sendRaw(bytes: Uint8Array): void;
  close(): void;
  closed: Promise<void>;
};

export async function connectRtmp(port: number, app: string, streamName: string, role: ClientRole): Promise<TestRtmpClient> {
  const session = new ClientSession({
    app,
    tcUrl: `rtmp://127.0.0.1:${port}/${app}`,
    role,
    streamName,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    epochMs: Date.now(),
  });
  const events: ClientSessionEvent[] = [];
  const waiters: Array<{ predicate: (e: ClientSessionEvent) => boolean; resolve: (e: ClientSessionEvent) => void }> = [];
  let socketRef: Socket<undefined> | null = null;
  let pendingOut: Uint8Array | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));

  const flush = (): void => {
    if (!socketRef) return;
    const chunks = session.takeOutgoing();
    if (pendingOut) chunks.unshift(pendingOut);
    pendingOut = null;
    if (chunks.length === 0) return;
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const written = socketRef.write(data);
    if (written < data.byteLength) pendingOut = data.subarray(Math.max(0, written));
  };

  socketRef = await Bun.connect<undefined>({
    hostname: '127.0.0.1',
    port,
    socket: {
      data: (_socket, data) => {
        for (const event of session.push(data)) {
          events.push(event);
          for (const w of [...waiters]) {
            if (w.predicate(event)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(event);
            }
          }
        }
        flush();
      },
      drain: () => flush(),
      close: () => resolveClosed(),
      error: () => resolveClosed(),
    },
  });
  session.start();
  flush();

  const next = (predicate: (e: ClientSessionEvent) => boolean, timeoutMs = 5000): Promise<ClientSessionEvent> => {
    const seen = events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve };
      waiters.push(waiter);
      setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) {
          waiters.splice(i, 1);
          reject(new Error(`timed out waiting; events so far: ${events.map((e) => e.type).join(',')}`));
        }
      }, timeoutMs);
    });
  };

  return {
    session,
    events,
    next,
    flush,
    backlogBytes: () => pendingOut?.byteLength ?? 0,
    sendRaw: (bytes) => {
      flush();
      socketRef?.write(bytes);
    },
    close: () => {
      session.close();
      flush();
      socketRef?.end();
    },
    closed,
  };
}

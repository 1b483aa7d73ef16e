// A TCP port nobody listens on right now (the kernel picks it; the race until the server binds is accepted).
export function freePort(): number {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

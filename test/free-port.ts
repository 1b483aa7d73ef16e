// The one freePort() of the tests and benchmarks (bench/lib/free-port.ts re-exports it).
/**
 * A loopback port nothing listens on, for processes that must be told their port before they
 * start. Picked below Linux's ephemeral range (32768-60999) so the kernel does not hand it to
 * some client socket between this check and the process binding it.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      const listener = Bun.listen({ hostname: '127.0.0.1', port, socket: { data() {} } });
      listener.stop(true);
      return port;
    } catch {
      // taken: try another
    }
  }
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

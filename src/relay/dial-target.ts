// Where an outgoing relay connection (RTMP, RTSP) dials: TCP, or TLS that verifies the server's
// certificate against its host name unless the relay settings say not to.

export type DialTarget = Readonly<{ hostname: string; port: number; tls?: { rejectUnauthorized: boolean; serverName: string } }>;

/** The address part of Bun.connect's options for `host:port`, with TLS when `tls` is set. */
export function dialTarget(host: string, port: number, tls: boolean, insecureTls: boolean): DialTarget {
  return { hostname: host, port, ...(tls ? { tls: { rejectUnauthorized: !insecureTls, serverName: host } } : {}) };
}

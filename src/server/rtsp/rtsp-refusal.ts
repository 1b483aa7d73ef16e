// An RTSP request the server answers with a 4xx/5xx status; its own file so that the credential
// checks and the connection scope can both throw it without importing each other.
export class RtspRefusal extends Error {
  constructor(
    readonly status: number,
    reason: string,
    /** sent with the answer (a 401's WWW-Authenticate) */
    readonly headers: ReadonlyArray<readonly [string, string]> = [],
  ) {
    super(reason);
  }
}

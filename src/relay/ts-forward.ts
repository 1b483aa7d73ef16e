// Forwards one live stream as MPEG-TS to an srt:// listener (Weir calls) or a udp:// address: joins
// the stream's one shared MPEG-TS output (the same bytes SRT viewers get) as a viewer, so the target
// gets PAT/PMT, the current GOP and then live media. Its lifecycle (reconnect with backoff while the
// publisher that started it is live, stop when it leaves) is forward-base.ts's, shared with the RTMP
// forward (stream-forward.ts); this file only opens the SRT or UDP target and joins the TS output.
import { mpegtsPacketEncoder, MPEGTS_FORMAT } from '../outputs/mpegts-encoder.ts';
import { parseSrtLinkUrl, parseUdpLinkUrl } from '../shared/ts-link-url.ts';
import { ForwardBase, type ForwardBaseOptions } from './forward-base.ts';
import { SrtTsTarget, UdpTsTarget, type TsLinkTarget } from './ts-link-target.ts';

export type TsForwardOptions = ForwardBaseOptions &
  Readonly<{
    kind: 'srt' | 'udp';
    onStopped?: (forward: TsForward) => void;
  }>;

export class TsForward extends ForwardBase<TsLinkTarget, void> {
  constructor(private readonly forwardOptions: TsForwardOptions) {
    super(
      { ...forwardOptions, logContext: { target: forwardOptions.kind } },
      {
        open: (events) =>
          forwardOptions.kind === 'srt'
            ? new SrtTsTarget(parseSrtLinkUrl(forwardOptions.url), events)
            : new UdpTsTarget(parseUdpLinkUrl(forwardOptions.url), events),
        join: (target) => ({
          output: forwardOptions.outputs.obtain(forwardOptions.stream, MPEGTS_FORMAT, mpegtsPacketEncoder()),
          send: {
            sendControl: (bytes) => void target.send(bytes, true, true),
            sendMedia: (bytes, randomAccess) => void target.send(bytes, randomAccess, false),
          },
        }),
        dropped: (target) => target.dropped,
      },
    );
    this.status.link = () => this.sink?.linkStats?.() ?? null;
  }

  protected stoppedForGood(): void {
    this.forwardOptions.onStopped?.(this);
  }
}

// A server's resident memory over a measured window, sampled every second. A garbage-collected
// server's RSS is a sawtooth: the garbage of one stream (tens of MiB at a few MiB/s) comes and
// goes with each collection, so a single reading at the window's end is wherever in that cycle it
// fell, and per-viewer figures built on it moved by 10-15 KiB from run to run. The median of the
// window's samples is where the server sits; the largest sample is what it needed at worst.
import { median } from './fanout-summary.ts';
import { treeRssBytes } from './proc-cpu.ts';

export type RssSummary = { medianBytes: number; maxBytes: number; lastBytes: number; samples: number };

export class RssSampler {
  private readonly samples: number[] = [];
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly pids: readonly number[],
    intervalMs = 1000,
    /** where readings come from (tests give a fake) */
    private readonly read: (pids: readonly number[]) => number = treeRssBytes,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Stops sampling after one last reading. */
  stop(): RssSummary {
    clearInterval(this.timer);
    this.sample();
    return summarizeRss(this.samples);
  }

  private sample(): void {
    this.samples.push(this.read(this.pids));
  }
}

export function summarizeRss(samples: readonly number[]): RssSummary {
  if (samples.length === 0) return { medianBytes: 0, maxBytes: 0, lastBytes: 0, samples: 0 };
  return { medianBytes: median(samples) ?? 0, maxBytes: Math.max(...samples), lastBytes: samples[samples.length - 1]!, samples: samples.length };
}

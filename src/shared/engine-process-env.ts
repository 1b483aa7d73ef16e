// The environment the engine runs with when Weir starts it: `npm start` (scripts/start.ts), the
// systemd unit install.sh writes (its `Environment=` line), and the benchmarks, which measure the
// engine as those start it. The engine cannot set these itself: Bun's allocator reads them once,
// before any of our code runs. A value the operator sets (environment, /etc/weir/weir.env) wins.

/**
 * Bun's allocator (mimalloc 3, with Bun's own options) hands memory that falls free back to the
 * kernel (madvise) and faults it in again moments later, when the next frames' buffers are
 * allocated: with one stream and 800 viewers, about 1,100 page faults and 140 madvise calls a
 * second, and a scavenger thread waking for them, about 9% of the engine's CPU (bench/RESULTS.md,
 * "Fan-out, sixth pass").
 * - MIMALLOC_PURGE_HOLES=0: no purging of the free holes inside pages in use (Bun's option, on by
 *   default), which is most of the madvise calls;
 * - MIMALLOC_PURGE_DELAY=1000: a page that falls empty is returned after 1 s unused instead of
 *   100 ms, so the steady churn of a stream reuses it, while memory freed after a peak (viewers
 *   gone, a stream ended) still goes back to the system.
 */
export const ENGINE_PROCESS_ENV: Readonly<Record<string, string>> = { MIMALLOC_PURGE_DELAY: '1000', MIMALLOC_PURGE_HOLES: '0' };

/** `env` with ENGINE_PROCESS_ENV under it: a variable `env` already has keeps its value. */
export function withEngineProcessEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  return { ...ENGINE_PROCESS_ENV, ...env };
}

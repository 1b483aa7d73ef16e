// How the capacity benchmarks (SRT viewers, RTSP pulls, recorded streams) find the most a core
// sustains: the counts of the list in order until one fails (all of them with keepGoing), then,
// with bisect, halving between the last passing and the first failing count until they are within
// 10% of each other. No bisection after a client-limited point: its failure says nothing of the engine.

export type CapacityOutcome = { pass: boolean; clientLimited: boolean };

export type CapacitySearch = {
  /** the first count that failed (after bisection: the lowest failing one found), 0 when none failed */
  firstFail: number;
  /** the highest count that passed, 0 when none did */
  sustained: number;
};

export async function searchCapacity(
  counts: readonly number[],
  measure: (n: number) => Promise<CapacityOutcome>,
  o: { keepGoing: boolean; bisect: boolean },
): Promise<CapacitySearch> {
  let lastPass = 0;
  let firstFail = 0;
  let sustained = 0;
  let last: CapacityOutcome | undefined;
  const run = async (n: number): Promise<boolean> => {
    last = await measure(n);
    if (last.pass) sustained = Math.max(sustained, n);
    return last.pass;
  };
  for (const n of counts) {
    if (await run(n)) lastPass = Math.max(lastPass, n);
    else if (!firstFail) firstFail = n;
    if (!last!.pass && !o.keepGoing) break;
  }
  if (o.bisect && firstFail && lastPass && lastPass < firstFail && !last?.clientLimited) {
    let lo = lastPass;
    let hi = firstFail;
    while (hi - lo > Math.max(1, Math.ceil(lo * 0.1))) {
      const mid = Math.floor((lo + hi) / 2);
      if (await run(mid)) lo = mid;
      else hi = mid;
    }
    firstFail = hi;
  }
  return { firstFail, sustained };
}

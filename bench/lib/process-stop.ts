// Stopping the processes a benchmark started, each by its own handle (never by name).
import type { Subprocess } from 'bun';

/** SIGTERM to each process still running, SIGKILL to those not gone after graceMs */
export async function stopProcesses(procs: readonly Subprocess[], graceMs: number): Promise<void> {
  const running = procs.filter((p) => p.exitCode === null);
  for (const p of running) p.kill('SIGTERM');
  await Promise.race([Promise.all(running.map((p) => p.exited)), Bun.sleep(graceMs)]);
  const stuck = running.filter((p) => p.exitCode === null);
  for (const p of stuck) p.kill('SIGKILL');
  await Promise.all(stuck.map((p) => p.exited));
}

// Live state from the engine, shared by /streams, /clients and /engine: one call, a 503
// problem when the engine cannot be asked.
import type { EngineResult } from '../engine-client.ts';
import { ApiProblem } from './problem.ts';

export async function fromEngine<T>(call: Promise<EngineResult<T>>): Promise<T> {
  const result = await call;
  if (!result.ok) throw new ApiProblem('engine-unavailable', `The engine is not reachable: ${result.reason}`);
  return result.value;
}

export const secondsSince = (nowMs: number, atMs: number): number => Math.max(0, Math.floor((nowMs - atMs) / 1000));

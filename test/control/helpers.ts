// Shared test setup: an in-memory store, services on a manual clock, cheap password hashing.
import { openStore, type Store } from '../../src/control/store/index.ts';
import { createServices, type Services, type ServicesOptions } from '../../src/control/services/index.ts';

export class ManualClock {
  constructor(public ms = Date.UTC(2025, 0, 1)) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export type Fixture = Readonly<{ store: Store; services: Services; clock: ManualClock }>;

export function makeFixture(options: ServicesOptions = {}): Fixture {
  const clock = new ManualClock();
  const store = openStore(':memory:');
  const services = createServices(store, {
    nowMs: clock.now,
    env: {},
    passwordHashCost: { timeCost: 1, memoryCost: 1024 },
    ...options,
  });
  return { store, services, clock };
}

/** expects fn to throw a DomainError with `code`; returns it */
export async function domainError(fn: () => unknown): Promise<{ code: string; status: number; message: string; field?: string; retryAfterSec?: number }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error && err.name === 'DomainError') return err as never;
    throw err;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

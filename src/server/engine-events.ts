// Where the engine's edges report what happens (publish and play start/stop). The edges only
// emit; whether the events go anywhere (the control plane's event reporter, or nowhere for a
// standalone engine) is decided by the engine's wiring.
import type { EngineEvent } from '../shared/config-protocol.ts';

export interface EngineEventSink {
  emit(event: EngineEvent): void;
}

export const NO_EVENTS: EngineEventSink = { emit: () => {} };

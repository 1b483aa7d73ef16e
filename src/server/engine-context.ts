// What every edge of the engine shares: configuration, the stream hub, outputs, admission.
import type { StreamRegistry } from '../hub/stream-registry.ts';
import type { HlsRegistry } from '../outputs/hls/hls-registry.ts';
import type { OutputRegistry } from '../outputs/output-registry.ts';
import type { EngineConfig } from '../shared/engine-config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Admission } from './admission.ts';

export type EngineContext = Readonly<{
  config: () => EngineConfig;
  streams: StreamRegistry;
  outputs: OutputRegistry;
  hls: HlsRegistry;
  admission: Admission;
  logger: Logger;
  nextConnectionId: () => string;
}>;

// Live relay state (GET /v1/relays on the engine) joined to the pull and forward resources:
// `status` is what the engine runs for that id now; absent when the engine cannot be asked.
import { t } from 'elysia';
import type { RelayStatus } from '../../shared/config-protocol.ts';
import type { EngineClient } from '../engine-client.ts';
import { LinkSchema } from './clients.ts';

export const RelayStatusSchema = t.Object(
  {
    id: t.String(),
    kind: t.Union([t.Literal('pull'), t.Literal('forward'), t.Literal('edge')]),
    app: t.String(),
    stream: t.String(),
    url: t.String({ description: 'query and password hidden; for viewer accounts the stream key too' }),
    state: t.Union([t.Literal('connecting'), t.Literal('live'), t.Literal('retrying'), t.Literal('stopped')]),
    lastError: t.Nullable(t.String()),
    liveSinceMs: t.Number(),
    nextRetryAtMs: t.Number(),
    retries: t.Number(),
    bytesIn: t.Number(),
    bytesOut: t.Number(),
    droppedMessages: t.Number(),
    link: t.Optional(LinkSchema),
  },
  { description: 'What the engine runs for this relay now' },
);

/** The engine's relays by id; null when the engine is down (or too old to say). */
export async function relaysById(engine: EngineClient): Promise<Map<string, RelayStatus[]> | null> {
  if (!engine.relays) return null;
  const answer = await engine.relays();
  if (!answer.ok) return null;
  const byId = new Map<string, RelayStatus[]>();
  for (const relay of answer.value) byId.set(relay.id, [...(byId.get(relay.id) ?? []), relay]);
  return byId;
}

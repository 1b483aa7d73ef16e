// Remembers, per publishing connection, the forward targets its admission answer carried, so
// the relay can start the forwards when the publish goes live (the stream registry's publish
// event). Wraps the engine's Admission without changing what it decides.
import type { Admission, AdmissionDecision, AdmissionRequest } from '../server/admission.ts';

const MAX_ENTRIES = 10_000;

export class ForwardTargetMemo {
  private readonly byClient = new Map<string, readonly string[]>();

  wrap(inner: Admission): Admission {
    return {
      decide: async (request: AdmissionRequest): Promise<AdmissionDecision> => {
        const decision = await inner.decide(request);
        if (request.action === 'publish' && request.clientId && decision.allow && decision.forwardTargets?.length) {
          this.byClient.delete(request.clientId);
          this.byClient.set(request.clientId, decision.forwardTargets);
          while (this.byClient.size > MAX_ENTRIES) {
            const oldest = this.byClient.keys().next().value;
            if (oldest === undefined) break;
            this.byClient.delete(oldest);
          }
        }
        return decision;
      },
    };
  }

  /** The targets the publisher's admission named (once: they are forgotten). */
  take(clientId: string): readonly string[] {
    const targets = this.byClient.get(clientId) ?? [];
    this.byClient.delete(clientId);
    return targets;
  }
}

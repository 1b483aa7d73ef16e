// The deliberate one-line bugs scripts/mutate.ts plants, one at a time, to check that the named
// tests notice each of them. `search` must occur exactly once in `file` (it may take in the line
// before for uniqueness); when the code moves on and it no longer does, the entry reports
// not-applicable: point it at the new code, do not delete it.
export type Mutation = Readonly<{
  /** short and stable: `--only` selects by it */
  id: string;
  /** the behaviour the mutation breaks, in a few words */
  behaviour: string;
  /** path from the repository root */
  file: string;
  /** exact text, found exactly once in the file */
  search: string;
  replace: string;
  /** test files (from the repository root) at least one of which must fail */
  tests: readonly string[];
}>;

export const MUTATIONS: readonly Mutation[] = [
  {
    id: 'gop-cache-guard',
    behaviour: 'frames before the first keyframe are not cached',
    file: 'src/hub/live-stream.ts',
    search: 'if (this.gopOverflowed || this.gop.length === 0) return;',
    replace: 'if (this.gopOverflowed) return;',
    tests: ['test/hub/stream-registry.test.ts', 'test/e2e/codec-passthrough.test.ts'],
  },
  {
    id: 'gop-cache-limit',
    behaviour: 'a GOP over its limits stops being cached',
    file: 'src/hub/live-stream.ts',
    search: 'if (this.gop.length > this.gopLimits.maxPackets || this.gopBytes > this.gopLimits.maxBytes) {',
    replace: 'if (false) {',
    tests: ['test/hub/stream-registry.test.ts'],
  },
  {
    id: 'writer-drop-queued',
    behaviour: 'an overflow discards the queued media (drop to keyframe)',
    file: 'src/server/connection-writer.ts',
    search: '    this.writtenAtLastOverflow = this.stats.bytesWritten;\n    this.discard((entry) => entry.droppable);',
    replace: '    this.writtenAtLastOverflow = this.stats.bytesWritten;\n    this.discard(() => false);',
    tests: ['test/server/connection-writer.test.ts'],
  },
  {
    id: 'writer-wait-keyframe',
    behaviour: 'after a drop, media is refused until the next keyframe',
    file: 'src/server/connection-writer.ts',
    search: '        this.countDrop();\n        this.dropping = true;',
    replace: '        this.countDrop();\n        this.dropping = false;',
    tests: ['test/server/connection-writer.test.ts'],
  },
  {
    id: 'writer-overflow-cutoff',
    behaviour: 'a viewer still behind after a drop is cut off',
    file: 'src/server/connection-writer.ts',
    search: 'this.stats.bytesWritten - this.writtenAtLastOverflow < this.limits.softLimitBytes',
    replace: 'this.stats.bytesWritten - this.writtenAtLastOverflow < 0',
    tests: ['test/server/connection-writer.test.ts'],
  },
  {
    id: 'writer-hard-limit',
    behaviour: 'control bytes over the hard limit close the connection',
    file: 'src/server/connection-writer.ts',
    search: 'if (this.stats.bytesQueued > this.limits.hardLimitBytes) this.fail(',
    replace: 'if (false) this.fail(',
    tests: ['test/server/connection-writer.test.ts'],
  },
  {
    id: 'output-join-gap',
    behaviour: 'a viewer that joins mid-window gets what arrived after its join',
    file: 'src/outputs/serialized-output.ts',
    search: '      if (from < end) viewer.sendBatch!(',
    replace: '      if (false) viewer.sendBatch!(',
    tests: ['test/outputs/shared-batches.test.ts'],
  },
  {
    id: 'output-lanes',
    behaviour: 'many viewers of one output are spread over lanes',
    file: 'src/outputs/serialized-output.ts',
    search: 'Math.ceil((this.laneOf.size + 1) / VIEWERS_PER_LANE)',
    replace: 'Math.ceil((this.laneOf.size + 1) / Number.MAX_SAFE_INTEGER)',
    tests: ['test/outputs/shared-batches.test.ts'],
  },
  {
    id: 'admission-remote-refusal',
    behaviour: "the config server's refusal is a refusal",
    file: 'src/engine/control-link/remote-admission.ts',
    search: "      : { allow: false, reason: answer.reason || 'refused by the control plane', ...(answer.credentials ? { credentials: answer.credentials } : {}) };",
    replace: '      : { allow: true };',
    tests: ['test/engine/remote-admission.test.ts'],
  },
  {
    id: 'admission-fallback-open-only',
    behaviour: "unreachable config server: the 'admitted' outage policy refuses what it never admitted",
    file: 'src/engine/control-link/remote-admission.ts',
    search: '        return remembered ?? { allow: false, reason: UNREACHABLE_REASON };',
    replace: '        return remembered ?? { allow: true };',
    tests: ['test/engine/remote-admission.test.ts'],
  },
  {
    id: 'admission-fallback-stale',
    behaviour: 'unreachable config server: the last answer for the key stands',
    file: 'src/engine/control-link/remote-admission.ts',
    search: '    const remembered = this.cache.usable(key, this.now());',
    replace: '    const remembered = undefined;',
    tests: ['test/engine/remote-admission.test.ts'],
  },
  {
    id: 'admission-4xx-is-refusal',
    behaviour: "a config-server 4xx refuses that request and is not an outage (no poisoning)",
    file: 'src/engine/control-link/remote-admission.ts',
    search: '      if (status !== null) {',
    replace: '      if (false) {',
    tests: ['test/engine/remote-admission.test.ts'],
  },
  {
    id: 'admission-hook-per-address',
    behaviour: 'hook apps: a cached answer is reused only for the same client address',
    file: 'src/engine/control-link/remote-admission.ts',
    search: "const key = RemoteAdmission.key(request, policyOf(app, request.action) === 'hook');",
    replace: 'const key = RemoteAdmission.key(request, false);',
    tests: ['test/engine/remote-admission.test.ts'],
  },
  {
    id: 'admission-stream-key',
    behaviour: 'a wrong stream key is refused (control plane)',
    file: 'src/control/services/admission-service.ts',
    search: 'return this.streamKeys.verify(app.name, query.stream, key)',
    replace: 'return true',
    tests: ['test/control/admission.test.ts'],
  },
  {
    id: 'deny-rtmp-publish',
    behaviour: 'a refused RTMP publish is rejected',
    file: 'src/server/rtmp/rtmp-connection.ts',
    search: "if (!decision.allow) {\n      this.releasePublishSlot();",
    replace: "if (false) {\n      this.releasePublishSlot();",
    tests: ['test/e2e/engine-config.test.ts'],
  },
  {
    id: 'deny-http-play',
    behaviour: 'a refused HTTP-FLV/WS-FLV viewer gets 403',
    file: 'src/server/http/http-server.ts',
    search: 'if (!decision.allow) return this.refuse(decision.reason, { conn: id,',
    replace: 'if (false) return this.refuse(decision.reason, { conn: id,',
    tests: ['test/e2e/engine-config.test.ts'],
  },
  {
    id: 'deny-hls-play',
    behaviour: 'a refused HLS request gets 403',
    file: 'src/server/http/http-server.ts',
    search: 'if (!decision.allow) return this.refuse(decision.reason, { peer: clientAddress, stream: `${app}/${stream}`, protocol });',
    replace: 'if (false) return this.refuse(decision.reason, { peer: clientAddress, stream: `${app}/${stream}`, protocol });',
    tests: ['test/e2e/engine-config.test.ts'],
  },
  {
    id: 'csrf-api-check',
    behaviour: 'REST API: a session write needs the right X-CSRF-Token',
    file: 'src/control/api/auth.ts',
    search: 'if (sent === null || !constantTimeEqual(sent, context.session.csrfToken)) {',
    replace: 'if (sent === null) {',
    tests: ['test/control/api/auth.test.ts'],
  },
  {
    id: 'csrf-api-compare',
    behaviour: 'REST API: CSRF tokens are compared, not just measured',
    file: 'src/shared/constant-time.ts',
    search: '  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;',
    replace: '  return a.length === b.length;',
    tests: ['test/control/api/auth.test.ts'],
  },
  {
    id: 'csrf-console-check',
    behaviour: 'console: a state change needs the right CSRF token',
    file: 'src/control/console/http.ts',
    search: 'return sent !== null && constantTimeEqual(sent, expected);',
    replace: 'return sent !== null;',
    tests: ['test/control/console/console.test.ts'],
  },
  {
    id: 'csrf-console-compare',
    behaviour: 'console: CSRF tokens are compared, not just measured',
    file: 'src/shared/constant-time.ts',
    search: '  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;',
    replace: '  return digest(a).length === digest(b).length;',
    tests: ['test/control/console/console.test.ts'],
  },
  {
    id: 'll-hls-has-part',
    behaviour: 'LL-HLS: the next part is not there before it is added',
    file: 'src/outputs/hls/hls-variant.ts',
    search: 'return this.openSegment.parts.length > index;',
    replace: 'return this.openSegment.parts.length >= index;',
    tests: ['test/outputs/hls-variant.test.ts'],
  },
  {
    id: 'll-hls-blocking-reload',
    behaviour: 'LL-HLS: a blocking playlist reload waits for the part',
    file: 'src/server/http/hls-http.ts',
    search: 'const ok = await variant.waitUntil(ready, waitMs);',
    replace: 'const ok = ready() || true;',
    tests: ['test/e2e/hls-ffmpeg.test.ts'],
  },
  {
    id: 'timestamp-wrap',
    behaviour: 'the 32-bit RTMP timestamp is unwrapped',
    file: 'src/hub/timestamp-normalizer.ts',
    search: '  else if (d < -HALF_WRAP) d += WRAP;',
    replace: '',
    tests: ['test/hub/timestamp-normalizer.test.ts'],
  },
  {
    id: 'timestamp-straggler',
    behaviour: "a straggler from before another type's jump stays on its own clock",
    file: 'src/hub/timestamp-normalizer.ts',
    search: '      if (own !== null && own >= -backwardMs && own <= forwardMs) {',
    replace: '      if (false) {',
    tests: ['test/hub/timestamp-normalizer.test.ts'],
  },
  {
    id: 'timestamp-restart-offset',
    behaviour: 'a restarted publisher continues after what viewers saw',
    file: 'src/hub/timestamp-normalizer.ts',
    search: '      mapped = this.highWater < 0 ? raw : this.highWater + 1;',
    replace: '      mapped = raw;',
    tests: ['test/hub/timestamp-normalizer.test.ts'],
  },
  {
    id: 'timestamp-restart-unwrap-base',
    behaviour: "a restarted publisher does not inherit its predecessor's clock",
    file: 'src/hub/timestamp-normalizer.ts',
    search: '    this.types = new Map();\n    this.ref = null;\n',
    replace: '    this.types = new Map();\n',
    tests: ['test/hub/timestamp-normalizer.test.ts'],
  },
  {
    id: 'timestamp-jump-freezes',
    behaviour: 'a timestamp jump rebases and keeps time advancing instead of freezing',
    file: 'src/hub/timestamp-normalizer.ts',
    search: '        mapped = Math.max((last ?? this.ref.mapped) + spacing, this.highWater + 1);',
    replace: '        mapped = last ?? this.ref.mapped;',
    tests: ['test/hub/timestamp-normalizer.test.ts'],
  },
];

// Apps: name rules, policies, signing secrets; deleting an app cascades its keys and relays.
import { DEFAULT_OUTAGE_POLICY, OUTAGE_POLICIES, PLAY_POLICIES, PUBLISH_POLICIES, SOURCE_TYPES } from '../../shared/config-protocol.ts';
import { DEFAULT_RTSP_SETTINGS, DEFAULT_SRT_SETTINGS } from '../../shared/engine-config.ts';
import { linkSchemeOf, parseUdpLinkUrl } from '../../shared/ts-link-url.ts';
import type { AppRecord, Store } from '../store/index.ts';
import type { ConfigChangeNotifier } from './config-snapshot-service.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { randomHex } from './secrets.ts';
import type {
  App,
  AppCreateInput,
  AppServiceContract,
  AppUpdateInput,
  NowMs,
} from './types.ts';
import { checkAppName, checkBoolean, checkOneOf, checkPort, checkUrl } from './validation.ts';
import { DEFAULT_APP_RECORDING, mergeRecording, sameRecording } from './recording-settings.ts';
import { DEFAULT_APP_SNAPSHOT, mergeSnapshot, sameSnapshot } from './snapshot-settings.ts';

export { PLAY_POLICIES, PUBLISH_POLICIES, SOURCE_TYPES };

export const ORIGIN_URL_SCHEMES: readonly string[] = ['rtmp', 'rtmps', 'http', 'https'];

/**
 * An edge origin URL template: rtmp://, rtmps://, http:// or https:// with a host; `{app}` and
 * `{stream}` may appear after the scheme (the engine fills them in per stream), no other braces.
 */
export function checkOriginUrlTemplate(url: unknown, field = 'originUrl'): string {
  if (typeof url === 'string') {
    if (/[{}]/.test(url.replaceAll('{app}', '').replaceAll('{stream}', ''))) {
      throw invalid(field, 'only the {app} and {stream} placeholders are allowed');
    }
    if (/^[^:]*[{}]/.test(url)) throw invalid(field, 'placeholders may not appear in the scheme');
  }
  // The URL must be valid with sample names in place of the placeholders.
  const sample = typeof url === 'string' ? url.replaceAll('{app}', 'app').replaceAll('{stream}', 'stream') : url;
  checkUrl(sample, ORIGIN_URL_SCHEMES, field);
  return url as string;
}

export function toApp(record: AppRecord): App {
  const { signingSecret: _secret, originUrl, srtPort, ...app } = record;
  // originUrl and srtPort are absent when unset (null and absent mean the same: none)
  return { ...app, ...(originUrl == null ? {} : { originUrl }), ...(srtPort == null ? {} : { srtPort }) };
}

export class AppService implements AppServiceContract {
  constructor(
    private readonly store: Store,
    private readonly notifier: ConfigChangeNotifier,
    private readonly nowMs: NowMs,
  ) {}

  list(): readonly App[] {
    return this.store.apps.list().map(toApp);
  }

  get(name: string): App {
    return toApp(this.record(name));
  }

  /** the stored record, secret included (for the services that need it) */
  record(name: string): AppRecord {
    const app = this.store.apps.get(name);
    if (!app) throw notFound(`app '${name}'`);
    return app;
  }

  create(input: AppCreateInput): App {
    const name = checkAppName(input.name);
    const record: AppRecord = {
      name,
      sourceType: input.sourceType === undefined ? 'push' : checkOneOf(input.sourceType, SOURCE_TYPES, 'sourceType'),
      hls: input.hls === undefined ? true : checkBoolean(input.hls, 'hls'),
      llHls: input.llHls === undefined ? true : checkBoolean(input.llHls, 'llHls'),
      publishPolicy:
        input.publishPolicy === undefined ? 'open' : checkOneOf(input.publishPolicy, PUBLISH_POLICIES, 'publishPolicy'),
      playPolicy: input.playPolicy === undefined ? 'open' : checkOneOf(input.playPolicy, PLAY_POLICIES, 'playPolicy'),
      hookUrl: input.hookUrl === undefined || input.hookUrl === null ? null : checkUrl(input.hookUrl, ['http', 'https'], 'hookUrl'),
      originUrl: input.originUrl === undefined || input.originUrl === null ? null : checkOriginUrlTemplate(input.originUrl),
      srtPort: input.srtPort === undefined || input.srtPort === null ? null : checkSrtPortRange(input.srtPort),
      outagePolicy:
        input.outagePolicy === undefined ? DEFAULT_OUTAGE_POLICY : checkOneOf(input.outagePolicy, OUTAGE_POLICIES, 'outagePolicy'),
      recording: mergeRecording(DEFAULT_APP_RECORDING, input.recording),
      snapshot: mergeSnapshot(DEFAULT_APP_SNAPSHOT, input.snapshot),
      signingSecret: randomHex(32),
      createdAtMs: this.nowMs(),
    };
    checkHookPolicy(record);
    this.store.transaction(() => {
      const existing = this.store.apps.findIgnoringCase(name);
      if (existing) throw conflict(`an app named '${existing.name}' already exists`);
      this.checkSrtPortFree(record);
      this.store.apps.insert(record);
    });
    this.notifier.changed();
    return toApp(record);
  }

  // Alike in shape to the forward-target, pull-source and user services' update(): each merges a patch field by field
  // over its own record with its own checks; nothing but the `x === undefined ? current.x : check(x)` pattern is shared.
  update(name: string, patch: AppUpdateInput): App {
    const current = this.record(name);
    const next: AppRecord = {
      ...current,
      sourceType: patch.sourceType === undefined ? current.sourceType : checkOneOf(patch.sourceType, SOURCE_TYPES, 'sourceType'),
      hls: patch.hls === undefined ? current.hls : checkBoolean(patch.hls, 'hls'),
      llHls: patch.llHls === undefined ? current.llHls : checkBoolean(patch.llHls, 'llHls'),
      publishPolicy:
        patch.publishPolicy === undefined
          ? current.publishPolicy
          : checkOneOf(patch.publishPolicy, PUBLISH_POLICIES, 'publishPolicy'),
      playPolicy: patch.playPolicy === undefined ? current.playPolicy : checkOneOf(patch.playPolicy, PLAY_POLICIES, 'playPolicy'),
      hookUrl:
        patch.hookUrl === undefined
          ? current.hookUrl
          : patch.hookUrl === null
            ? null
            : checkUrl(patch.hookUrl, ['http', 'https'], 'hookUrl'),
      originUrl:
        patch.originUrl === undefined
          ? (current.originUrl ?? null)
          : patch.originUrl === null
            ? null
            : checkOriginUrlTemplate(patch.originUrl),
      srtPort: patch.srtPort === undefined ? (current.srtPort ?? null) : patch.srtPort === null ? null : checkSrtPortRange(patch.srtPort),
      outagePolicy:
        patch.outagePolicy === undefined ? current.outagePolicy : checkOneOf(patch.outagePolicy, OUTAGE_POLICIES, 'outagePolicy'),
      recording: mergeRecording(current.recording, patch.recording),
      snapshot: mergeSnapshot(current.snapshot, patch.snapshot),
    };
    checkHookPolicy(next);
    if (next.srtPort !== (current.srtPort ?? null)) this.checkSrtPortFree(next);
    if (next.sourceType === 'push' && current.sourceType === 'pull' && this.store.pulls.list(name).length > 0) {
      throw conflict(`app '${name}' still has pull sources; delete them before making it a push app`);
    }
    const changed =
      next.sourceType !== current.sourceType ||
      next.hls !== current.hls ||
      next.llHls !== current.llHls ||
      next.publishPolicy !== current.publishPolicy ||
      next.playPolicy !== current.playPolicy ||
      next.hookUrl !== current.hookUrl ||
      next.originUrl !== (current.originUrl ?? null) ||
      next.srtPort !== (current.srtPort ?? null) ||
      next.outagePolicy !== current.outagePolicy ||
      !sameRecording(next.recording, current.recording) ||
      !sameSnapshot(next.snapshot, current.snapshot);
    if (changed) {
      this.store.apps.update(next, true);
      this.notifier.changed();
    }
    return toApp(next);
  }

  delete(name: string): void {
    if (!this.store.apps.delete(name)) throw notFound(`app '${name}'`);
    this.notifier.changed();
  }

  /** one listener per UDP port: another app's SRT port, or a udp:// pull source's, is refused naming it */
  private checkSrtPortFree(app: AppRecord): void {
    if (app.srtPort == null) return;
    const holder = this.store.apps.list().find((a) => a.name !== app.name && a.srtPort === app.srtPort);
    if (holder) throw invalid('srtPort', `port ${app.srtPort} is already the SRT port of app '${holder.name}'`);
    const pull = this.store.pulls.list().find((p) => udpListenPort(p.url) === app.srtPort);
    if (pull) throw invalid('srtPort', `port ${app.srtPort} is where the pull source of '${pull.app}/${pull.stream}' receives MPEG-TS over UDP`);
  }

  signingSecret(name: string): string {
    return this.record(name).signingSecret;
  }

  rotateSigningSecret(name: string): string {
    const next: AppRecord = { ...this.record(name), signingSecret: randomHex(32) };
    // a policy change: the engine must drop the answers it cached for URLs signed before
    this.store.apps.update(next, true);
    this.notifier.changed();
    return next.signingSecret;
  }
}

/**
 * An app's SRT port: 1-65535, and not a UDP port the engine's own listeners use by default (the main SRT
 * listener, RTSP's RTP/RTCP range): the engine would fail to open it. The engine checks its actual flags too.
 */
function checkSrtPortRange(port: unknown): number {
  const value = checkPort(port, 'srtPort');
  if (value === DEFAULT_SRT_SETTINGS.port) {
    throw invalid('srtPort', `port ${value} is the engine's main SRT listener (every app is reachable there as {app}/{stream})`);
  }
  if (value >= DEFAULT_RTSP_SETTINGS.rtpPortMin && value <= DEFAULT_RTSP_SETTINGS.rtpPortMax) {
    throw invalid('srtPort', `port ${value} is in the engine's RTSP RTP/RTCP range ${DEFAULT_RTSP_SETTINGS.rtpPortMin}-${DEFAULT_RTSP_SETTINGS.rtpPortMax}`);
  }
  return value;
}

/** The UDP port a udp:// pull source makes the engine listen on, or null for other URLs. */
export function udpListenPort(url: string): number | null {
  if (linkSchemeOf(url) !== 'udp') return null;
  try {
    return parseUdpLinkUrl(url).port;
  } catch {
    return null;
  }
}

function checkHookPolicy(app: AppRecord): void {
  if ((app.publishPolicy === 'hook' || app.playPolicy === 'hook') && app.hookUrl === null) {
    throw invalid('hookUrl', "a 'hook' policy needs a hookUrl (http:// or https://)");
  }
}

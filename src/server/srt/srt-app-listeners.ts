// Per-app SRT ports (AppConfig.srtPort): one more SrtListener per app that has one, serving that app alone,
// so a caller's stream id may be just "{stream}". Config reloads open, move and close these listeners; the
// main listener and the sessions of apps whose port did not change are never touched. A port the engine
// cannot use (its main SRT port, another app's, one already bound) leaves that app without one, logged.
import type { ConfigApplyError } from '../../shared/config-protocol.ts';
import type { AppConfig, SrtSettings } from '../../shared/engine-config.ts';
import type { EngineContext } from '../engine-context.ts';
import { SrtListener } from './srt-listener.ts';

type Entry = { port: number; listener: SrtListener; ready: Promise<void> };

const setting = (app: string): string => `apps.${app}.srtPort`;

export class SrtAppListeners {
  private readonly byApp = new Map<string, Entry>();
  /** "app:port: reason" already logged, so a reload that changes nothing does not log again */
  private readonly refused = new Set<string>();
  /** what the last apply could not open (by rule at once, bind failures when they happen), for the engine status */
  private failures: ConfigApplyError[] = [];
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly settings: () => SrtSettings,
    /** the main SRT listener's port (its bound port once known) */
    private readonly mainPort: () => number,
  ) {}

  /** The app listeners now open, by app: their bound port. */
  ports(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [app, entry] of this.byApp) out.set(app, entry.port);
    return out;
  }

  listeners(): SrtListener[] {
    return [...this.byApp.values()].map((e) => e.listener);
  }

  /** The app ports the last configuration asked for and did not get, as the control plane shows them. */
  errors(): readonly ConfigApplyError[] {
    return this.failures;
  }

  /** Settles when every listener opened by the last apply has bound (or failed, logged). */
  ready(): Promise<void> {
    return Promise.all([...this.byApp.values()].map((e) => e.ready)).then(() => undefined);
  }

  apply(apps: readonly AppConfig[]): void {
    if (this.stopped) return;
    const wanted = new Map<string, number>();
    const holders = new Map<number, string>();
    const refusedNow = new Set<string>();
    this.failures = [];
    const refuse = (app: string, port: number, reason: string): void => {
      const key = `${app}:${port}: ${reason}`;
      refusedNow.add(key);
      this.failures.push({ setting: setting(app), value: String(port), reason });
      if (!this.refused.has(key)) this.ctx.logger.error('SRT app port not opened', { app, port, reason });
    };
    for (const app of apps) {
      const port = app.srtPort;
      if (port === undefined || port === null) continue;
      const holder = holders.get(port);
      if (port === this.mainPort()) refuse(app.name, port, 'it is the main SRT port');
      else if (holder !== undefined) refuse(app.name, port, `app '${holder}' has it`);
      else {
        holders.set(port, app.name);
        wanted.set(app.name, port);
      }
    }
    this.refused.clear();
    for (const key of refusedNow) this.refused.add(key);
    // close first: a port moved from one app to another is free again before it is opened
    for (const [app, entry] of [...this.byApp]) {
      if (wanted.get(app) === entry.port) continue;
      this.byApp.delete(app);
      entry.listener.stop(`app '${app}' SRT port ${entry.port} closed`);
      this.ctx.logger.info('SRT app port closed', { app, port: entry.port });
    }
    for (const [app, port] of wanted) if (!this.byApp.has(app)) this.open(app, port);
  }

  stopAccepting(): void {
    for (const entry of this.byApp.values()) entry.listener.stopAccepting();
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.byApp.values()) entry.listener.stop();
    this.byApp.clear();
  }

  private open(app: string, port: number): void {
    const listener = new SrtListener(this.ctx, this.settings, { app });
    const entry: Entry = { port, listener, ready: Promise.resolve() };
    entry.ready = listener.start(this.settings().host, port).catch((err: unknown) => {
      // forgotten, so the next reload tries again
      if (this.byApp.get(app) !== entry) return; // closed or replaced meanwhile
      this.byApp.delete(app);
      listener.stop();
      const reason = (err as Error)?.message ?? String(err);
      this.failures.push({ setting: setting(app), value: String(port), reason });
      this.ctx.logger.error('SRT app port not opened', { app, port, reason });
    });
    this.byApp.set(app, entry);
  }
}

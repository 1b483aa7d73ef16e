// One line per event with level, time and context; repeated lines are rate-limited so a
// flood of bad connections cannot flood the log.
export const LogLevel = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LogLevel;
export type LogContext = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
  child(context: LogContext): Logger;
}

export type LogSink = (line: string) => void;

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  sink?: LogSink;
  /** identical message+level lines allowed per window before they are suppressed */
  burstPerWindow?: number;
  windowMs?: number;
  now?: () => number;
}

type RateState = { windowStart: number; count: number; suppressed: number };

export function createLogger(options: LoggerOptions = {}): Logger {
  return new ContextLogger(new LogCore(options), {});
}

/** What every logger of one createLogger() shares: level, output and the rate-limit table. */
class LogCore {
  readonly minLevel: number;
  private readonly json: boolean;
  private readonly sink: LogSink;
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  // Children share the rate-limit table so a flood from many connections is still one flood.
  private readonly rates = new Map<string, RateState>();

  constructor(options: LoggerOptions) {
    this.minLevel = LogLevel[options.level ?? 'info'];
    this.json = options.json ?? false;
    this.sink = options.sink ?? ((line: string) => process.stderr.write(line + '\n'));
    this.burst = options.burstPerWindow ?? 20;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  log(level: LogLevel, message: string, context: LogContext): void {
    const verdict = this.admit(level, message);
    if (verdict === false) return;
    this.sink(this.format(level, message, context, verdict));
  }

  private admit(level: LogLevel, message: string): number | false {
    const key = level + '\u0000' + message;
    const t = this.now();
    let state = this.rates.get(key);
    if (!state || t - state.windowStart >= this.windowMs) {
      const suppressed = state?.suppressed ?? 0;
      state = { windowStart: t, count: 0, suppressed: 0 };
      this.rates.set(key, state);
      if (this.rates.size > 10_000) this.rates.clear();
      state.count++;
      return suppressed;
    }
    state.count++;
    if (state.count > this.burst) {
      state.suppressed++;
      return false;
    }
    return 0;
  }

  private format(level: LogLevel, message: string, context: LogContext, suppressed: number): string {
    const merged: Record<string, unknown> = { ...context };
    if (suppressed > 0) merged.suppressed = suppressed;
    const time = new Date(this.now()).toISOString();
    if (this.json) return JSON.stringify({ time, level, msg: message, ...merged });
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${message}`;
    for (const [k, v] of Object.entries(merged)) {
      if (v === undefined) continue;
      const text = String(v);
      line += ` ${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
    }
    return line;
  }
}

/**
 * A logger with its context. A class, not closures: every connection has a child logger, and at
 * thousands of viewers five closures and their scope per child were a measurable part of the
 * memory a viewer costs (bench/viewer-memory.ts).
 */
class ContextLogger implements Logger {
  constructor(
    private readonly core: LogCore,
    private readonly base: LogContext,
  ) {}

  debug(message: string, context?: LogContext): void {
    this.log('debug', message, context);
  }

  info(message: string, context?: LogContext): void {
    this.log('info', message, context);
  }

  warn(message: string, context?: LogContext): void {
    this.log('warn', message, context);
  }

  error(message: string, context?: LogContext): void {
    this.log('error', message, context);
  }

  child(context: LogContext): Logger {
    return new ContextLogger(this.core, { ...this.base, ...context });
  }

  private log(level: LogLevel, message: string, context: LogContext | undefined): void {
    if (LogLevel[level] < this.core.minLevel) return;
    this.core.log(level, message, context ? { ...this.base, ...context } : this.base);
  }
}

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
  const minLevel = LogLevel[options.level ?? 'info'];
  const json = options.json ?? false;
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const burst = options.burstPerWindow ?? 20;
  const windowMs = options.windowMs ?? 10_000;
  const now = options.now ?? Date.now;
  const rates = new Map<string, RateState>();

  function admit(level: LogLevel, message: string): number | false {
    const key = level + '\u0000' + message;
    const t = now();
    let state = rates.get(key);
    if (!state || t - state.windowStart >= windowMs) {
      const suppressed = state?.suppressed ?? 0;
      state = { windowStart: t, count: 0, suppressed: 0 };
      rates.set(key, state);
      if (rates.size > 10_000) rates.clear();
      state.count++;
      return suppressed;
    }
    state.count++;
    if (state.count > burst) {
      state.suppressed++;
      return false;
    }
    return 0;
  }

  function format(level: LogLevel, message: string, context: LogContext, suppressed: number): string {
    const merged: Record<string, unknown> = { ...context };
    if (suppressed > 0) merged.suppressed = suppressed;
    const time = new Date(now()).toISOString();
    if (json) return JSON.stringify({ time, level, msg: message, ...merged });
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${message}`;
    for (const [k, v] of Object.entries(merged)) {
      if (v === undefined) continue;
      const text = String(v);
      line += ` ${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
    }
    return line;
  }

  // Children share the rate-limit table so a flood from many connections is still one flood.
  function withBase(base: LogContext): Logger {
    const log = (level: LogLevel, message: string, context: LogContext = {}): void => {
      if (LogLevel[level] < minLevel) return;
      const verdict = admit(level, message);
      if (verdict === false) return;
      sink(format(level, message, { ...base, ...context }, verdict));
    };
    return {
      debug: (m, c) => log('debug', m, c),
      info: (m, c) => log('info', m, c),
      warn: (m, c) => log('warn', m, c),
      error: (m, c) => log('error', m, c),
      child: (context) => withBase({ ...base, ...context }),
    };
  }
  return withBase({});
}

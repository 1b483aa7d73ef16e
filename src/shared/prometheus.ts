// A tiny Prometheus registry rendering the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): counters,
// gauges and histograms with labels, HELP/TYPE once per family, label values escaped (\\, \",
// \n), HELP escaped (\\, \n). Metrics whose values live elsewhere (live streams, viewers) are
// filled at scrape time by a collect callback, so their series are exactly what exists now.
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;
type MetricType = 'counter' | 'gauge' | 'histogram';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go-style float text: integers without a fraction, +Inf/-Inf/NaN spelled as Prometheus does. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

abstract class Metric<S> {
  protected readonly series = new Map<string, { values: string[]; state: S }>();
  private collector: ((metric: this) => void) | null = null;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith('__') || label === 'le') throw new Error(`invalid label name '${label}'`);
    }
  }

  /** Called before each render: set the series from wherever the truth lives. */
  collect(fn: (metric: this) => void): this {
    this.collector = fn;
    return this;
  }

  protected abstract initial(): S;

  protected entry(labels: Labels): S {
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new Error(`${this.name}: label '${n}' is missing`);
      return v;
    });
    const key = values.join('\u0000');
    let found = this.series.get(key);
    if (!found) {
      found = { values, state: this.initial() };
      this.series.set(key, found);
    }
    return found.state;
  }

  /** Forgets every series (before a collect fills them again). */
  reset(): void {
    this.series.clear();
  }

  remove(labels: Labels): void {
    this.series.delete(this.labelNames.map((n) => labels[n] ?? '').join('\u0000'));
  }

  render(): string {
    this.collector?.(this);
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    for (const { values, state } of this.series.values()) text += this.renderSeries(values, state);
    return text;
  }

  protected abstract renderSeries(values: readonly string[], state: S): string;
}

type Scalar = { value: number };

export class Counter extends Metric<Scalar> {
  protected initial(): Scalar {
    return { value: 0 };
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up`);
    this.entry(labels).value += by;
  }

  /** For counters kept elsewhere (a socket's byte count) and copied in at collect time. */
  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }

  get(labels: Labels = {}): number {
    return this.entry(labels).value;
  }

  protected renderSeries(values: readonly string[], state: Scalar): string {
    return `${this.name}${labelText(this.labelNames, values)} ${formatValue(state.value)}\n`;
  }
}

export class Gauge extends Metric<Scalar> {
  protected initial(): Scalar {
    return { value: 0 };
  }

  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }

  inc(labels: Labels = {}, by = 1): void {
    this.entry(labels).value += by;
  }

  get(labels: Labels = {}): number {
    return this.entry(labels).value;
  }

  protected renderSeries(values: readonly string[], state: Scalar): string {
    return `${this.name}${labelText(this.labelNames, values)} ${formatValue(state.value)}\n`;
  }
}

type HistogramState = { counts: number[]; sum: number; count: number };

export class Histogram extends Metric<HistogramState> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, 'histogram', labelNames);
    const sorted = [...buckets].filter((b) => Number.isFinite(b)).sort((a, b) => a - b);
    if (sorted.length === 0 || new Set(sorted).size !== sorted.length) throw new Error(`${name}: buckets must be distinct finite numbers`);
    this.buckets = sorted;
  }

  protected initial(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(labels: Labels, value: number): void {
    const state = this.entry(labels);
    state.sum += value;
    state.count++;
    // per-bucket counts; rendering makes them cumulative
    const index = this.buckets.findIndex((b) => value <= b);
    if (index >= 0) state.counts[index]!++;
  }

  protected renderSeries(values: readonly string[], state: HistogramState): string {
    let text = '';
    let cumulative = 0;
    this.buckets.forEach((bound, i) => {
      cumulative += state.counts[i]!;
      text += `${this.name}_bucket${labelText(this.labelNames, values, ['le', formatValue(bound)])} ${cumulative}\n`;
    });
    text += `${this.name}_bucket${labelText(this.labelNames, values, ['le', '+Inf'])} ${state.count}\n`;
    text += `${this.name}_sum${labelText(this.labelNames, values)} ${formatValue(state.sum)}\n`;
    text += `${this.name}_count${labelText(this.labelNames, values)} ${state.count}\n`;
    return text;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Counter | Gauge | Histogram>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, 'counter', labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, 'gauge', labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  private add<M extends Counter | Gauge | Histogram>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric '${metric.name}' is registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  /** The whole exposition, one family after another. A failing collector costs its family only. */
  render(): string {
    let text = '';
    for (const metric of this.metrics.values()) {
      try {
        text += metric.render();
      } catch {
        text += `# HELP ${metric.name} ${escapeHelp(metric.help)}\n# TYPE ${metric.name} ${metric.type}\n`;
      }
    }
    return text;
  }
}

/** process_* metrics as the Prometheus client libraries name them, plus {prefix}_build_info. */
export function registerProcessMetrics(registry: Registry, prefix: string, version: string): void {
  const startSeconds = Math.round((Date.now() - performance.now()) / 10) / 100;
  registry.gauge(`${prefix}_build_info`, 'Build of this process; always 1', ['version']).set({ version }, 1);
  registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.').collect((m) => m.set({}, process.memoryUsage.rss()));
  registry.counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.').collect((m) => {
    const usage = process.cpuUsage();
    m.set({}, (usage.user + usage.system) / 1e6);
  });
  registry.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.').set({}, startSeconds);
}

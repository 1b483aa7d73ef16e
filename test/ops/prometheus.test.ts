// The Prometheus registry's text output, read back by an independent strict parser.
import { describe, expect, test } from 'bun:test';
import { escapeLabelValue, PROMETHEUS_CONTENT_TYPE, Registry, registerProcessMetrics } from '../../src/shared/prometheus.ts';
import { parsePrometheusText, sampleValue } from './prom-text-parser.ts';

describe('prometheus registry', () => {
  test('HELP and TYPE once per family, before its samples; values round-trip', () => {
    const r = new Registry();
    const c = r.counter('t_requests_total', 'Requests', ['route', 'status']);
    c.inc({ route: '/a', status: '200' });
    c.inc({ route: '/a', status: '200' }, 2);
    c.inc({ route: '/b/:id', status: '404' });
    const g = r.gauge('t_temperature', 'Degrees');
    g.set({}, -1.5);
    const text = r.render();
    expect(text).toContain('# HELP t_requests_total Requests\n# TYPE t_requests_total counter\n');
    expect(text.match(/# TYPE t_requests_total/g)?.length).toBe(1);
    const families = parsePrometheusText(text);
    expect(families.get('t_requests_total')?.type).toBe('counter');
    expect(sampleValue(families, 't_requests_total', { route: '/a', status: '200' })).toBe(3);
    expect(sampleValue(families, 't_requests_total', { route: '/b/:id', status: '404' })).toBe(1);
    expect(sampleValue(families, 't_temperature')).toBe(-1.5);
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  test('label values and HELP text are escaped per the exposition format', () => {
    const r = new Registry();
    const nasty = 'a\\b"c\nd}e,f=g';
    r.gauge('t_nasty', 'Help with \\ backslash\nand newline', ['v']).set({ v: nasty }, 1);
    const text = r.render();
    expect(text).toContain('t_nasty{v="a\\\\b\\"c\\nd}e,f=g"} 1\n');
    expect(text).toContain('# HELP t_nasty Help with \\\\ backslash\\nand newline\n');
    expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
    const families = parsePrometheusText(text);
    expect(families.get('t_nasty')?.samples[0]?.labels.v).toBe(nasty);
    expect(families.get('t_nasty')?.help).toBe('Help with \\ backslash\nand newline');
    // every line is one line: no raw newline leaked out of a value
    for (const line of text.trimEnd().split('\n')) expect(line.startsWith('#') || line.startsWith('t_nasty{')).toBe(true);
  });

  test('histogram buckets are cumulative, end in +Inf equal to _count, and carry _sum', () => {
    const r = new Registry();
    const h = r.histogram('t_latency_seconds', 'Latency', ['action'], [0.1, 0.01, 1]);
    for (const v of [0.005, 0.05, 0.05, 0.5, 5]) h.observe({ action: 'play' }, v);
    h.observe({ action: 'publish' }, 0.001);
    const text = r.render();
    const families = parsePrometheusText(text); // throws unless cumulative and consistent
    const bucket = (le: string, action = 'play') => sampleValue(families, 't_latency_seconds_bucket', { action, le });
    expect([bucket('0.01'), bucket('0.1'), bucket('1'), bucket('+Inf')]).toEqual([1, 3, 4, 5]);
    expect(sampleValue(families, 't_latency_seconds_count', { action: 'play' })).toBe(5);
    expect(sampleValue(families, 't_latency_seconds_sum', { action: 'play' })).toBeCloseTo(5.605, 9);
    expect(bucket('+Inf', 'publish')).toBe(1);
  });

  test('collect callbacks fill series at render time; reset drops vanished series', () => {
    const r = new Registry();
    let live = ['a', 'b'];
    r.counter('t_bytes_total', 'Bytes', ['stream']).collect((m) => {
      m.reset();
      for (const s of live) m.set({ stream: s }, s.length * 10);
    });
    expect(parsePrometheusText(r.render()).get('t_bytes_total')?.samples.length).toBe(2);
    live = ['b'];
    const families = parsePrometheusText(r.render());
    expect(families.get('t_bytes_total')?.samples.map((s) => s.labels.stream)).toEqual(['b']);
  });

  test('names are checked; counters refuse to go down; process metrics parse', () => {
    const r = new Registry();
    expect(() => r.counter('bad-name', 'x')).toThrow();
    expect(() => r.gauge('t_ok', 'x', ['le'])).toThrow();
    const c = r.counter('t_c_total', 'x');
    expect(() => c.inc({}, -1)).toThrow();
    expect(() => r.counter('t_c_total', 'again')).toThrow();
    registerProcessMetrics(r, 'weir', '1.2.3');
    const families = parsePrometheusText(r.render());
    expect(sampleValue(families, 'weir_build_info', { version: '1.2.3' })).toBe(1);
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(sampleValue(families, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    const start = sampleValue(families, 'process_start_time_seconds')!;
    expect(Math.abs(start - Date.now() / 1000)).toBeLessThan(3600);
  });

  test('the parser rejects what Prometheus would', () => {
    expect(() => parsePrometheusText('x{a="\\q"} 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE x counter\nx 1\n# TYPE y gauge\ny 1\nx 2\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow();
    expect(() => parsePrometheusText('x 1')).toThrow();
  });
});
